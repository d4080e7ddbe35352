"""TAXII 2.1 writing: envelopes posted through intake, their status resources, deletion as retraction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from markaz.centre import Centre
from markaz.collection import intake, stix_import
from markaz.dissemination import stix, stix_feed
from markaz.dissemination.taxii.catalogue import Collection, find_collection
from markaz.dissemination.taxii.protocol import TAXII_MEDIA, Response, TaxiiRequest, check_content_type, ok
from markaz.errors import Conflict, Forbidden, MalformedBody, NotFound, TooLarge
from markaz.security.scopes import Scope
from markaz.storage import interop
from markaz.storage.principals import Principal

STATUS_KEEP = timedelta(hours=24)


def _require_write(principal: Principal, cid: str) -> Collection:
    c = find_collection(principal, cid)
    if not c.can_write:
        raise Forbidden(f"the collection {c.title!r} is read only; post to 'Submit' or 'Our submissions'")
    intake.require_writer(principal)
    if not principal.scope.allows(Scope.WRITE):
        raise Forbidden(f"this token has the {principal.scope.value} scope; writing needs the write scope")
    return c


def _status_resource(row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row["id"],
        "status": row["status"],
        "request_timestamp": stix.ts(row["created_at"]),
        "total_count": row["total_count"],
        "success_count": row["success_count"],
        "failure_count": row["failure_count"],
        "pending_count": row["pending_count"],
    }
    for key in ("successes", "failures", "pendings"):
        if row[key]:
            out[key] = row[key]
    return out


def add_objects(centre: Centre, request: TaxiiRequest, cid: str) -> Response:
    """Every report of the envelope goes through the normal intake path; the status says what became
    of each object."""
    assert request.principal is not None
    principal = request.principal
    _require_write(principal, cid)
    check_content_type(request.headers)
    if len(request.body) > centre.settings.max_body_bytes:
        raise TooLarge(
            f"the envelope is larger than max_content_length ({centre.settings.max_body_bytes} bytes)"
        )
    try:
        doc = orjson.loads(request.body)
    except orjson.JSONDecodeError as exc:
        raise MalformedBody(f"the request body is not valid JSON: {exc}") from None
    objects = stix_import.check_envelope(doc)
    started = datetime.now(UTC)
    result = stix_import.import_objects(centre, principal, objects)
    row = {
        "id": str(uuid.uuid4()),
        "member_code": principal.member,
        "principal_id": principal.id,
        "collection_id": cid,
        "created_at": started,
        "status": "complete",
        "total_count": len(result.outcomes),
        "success_count": len(result.successes),
        "failure_count": len(result.failures),
        "pending_count": 0,
        "successes": [o.to_dict() for o in result.successes],
        "failures": [o.to_dict() for o in result.failures],
        "pendings": [],
    }
    with centre.db.write() as conn:
        interop.purge_status(conn, started, STATUS_KEEP)
        interop.insert_status(conn, row)
    return ok(_status_resource(row), status=202)


def get_status(centre: Centre, request: TaxiiRequest, status_id: str) -> Response:
    assert request.principal is not None
    with centre.db.read() as conn:
        row = interop.get_status(conn, request.principal.member, status_id)
    if row is None:
        raise NotFound(f"there is no status {status_id}")
    return ok(_status_resource(row))


def delete_object(centre: Centre, request: TaxiiRequest, cid: str, oid: str) -> Response:
    """Deleting a report object of one's own retracts the report (every recipient is told)."""
    assert request.principal is not None
    principal = request.principal
    c = _require_write(principal, cid)
    if not c.can_read:
        raise Forbidden("objects are deleted from 'Our submissions', where the member can see them")
    scope = interop.Scope(principal.member, own_only=True)
    with centre.db.read() as conn:
        found = stix_feed.resolve_report_ids(conn, centre.db.dialect, scope, frozenset({oid}))
        query = stix_feed.FeedQuery(
            scope=interop.Scope(principal.member, own_only=True, report_ids=found), ids=frozenset({oid})
        )
        entries, _ = stix_feed.page(conn, centre.db.dialect, query, start=None, limit=1)
    if not entries:
        raise NotFound(f"there is no object {oid} in this collection")
    entry = entries[0]
    if entry.obj["type"] != "report":
        raise Forbidden(
            "markaz retracts whole reports: delete the report object, and its other objects go with it"
        )
    if entry.obj.get("revoked"):
        raise Conflict(f"{oid} is already deleted (its report was retracted)")
    report_id = entry.key
    intake.retract(centre, principal, report_id, f"deleted over TAXII by {principal.username}")
    return {"Content-Type": TAXII_MEDIA}, 200, b""
