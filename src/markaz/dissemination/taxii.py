"""TAXII 2.1 server core: framework-free handlers, (centre, request) -> (headers, status, content)."""

from __future__ import annotations

import base64
import binascii
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import orjson

from markaz import __version__
from markaz.centre import Centre
from markaz.collection import intake, stix_import
from markaz.dissemination import stix, stix_feed
from markaz.dissemination.cursors import CursorCodec
from markaz.domain.enums import MemberStatus
from markaz.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    MalformedBody,
    MarkazError,
    NotFound,
    TooLarge,
    Unauthenticated,
    UnsupportedMediaType,
)
from markaz.security.scopes import Scope
from markaz.storage import interop
from markaz.storage.principals import Principal, authenticate_token

TAXII_MEDIA = "application/taxii+json;version=2.1"
STIX_MEDIA = "application/stix+json;version=2.1"
API_ROOT = "markaz"
STATUS_KEEP = timedelta(hours=24)

Response = tuple[dict[str, str], int, bytes]
log = logging.getLogger("markaz.taxii")


class NotAcceptable(MarkazError):
    status = 406
    code = "not_acceptable"


@dataclass
class TaxiiRequest:
    """What the handlers need of an HTTP request; the web adapter fills it in."""

    method: str
    headers: Mapping[str, str]  # lower-case names
    query: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    principal: Principal | None = field(default=None)

    def param(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None


# --- media types, authentication, errors ---------------------------------------------------


def _media_ok(value: str, *, allow_any: bool) -> bool:
    parts = [p.strip().lower() for p in value.split(";")]
    media, params = parts[0], [p.replace(" ", "") for p in parts[1:] if not p.startswith("q=")]
    if allow_any and media in ("*/*", "application/*"):
        return True
    if media != "application/taxii+json":
        return False
    versions = [p.split("=", 1)[1] for p in params if p.startswith("version=")]
    return not versions or versions == ["2.1"]


def check_accept(headers: Mapping[str, str]) -> None:
    accept = headers.get("accept")
    if not accept:
        return
    if not any(_media_ok(item, allow_any=True) for item in accept.split(",")):
        raise NotAcceptable(f"this server answers only {TAXII_MEDIA}; the Accept header asked for {accept!r}")


def check_content_type(headers: Mapping[str, str]) -> None:
    value = headers.get("content-type", "")
    if not _media_ok(value, allow_any=False):
        raise UnsupportedMediaType(f"send the envelope as {TAXII_MEDIA} (got {value or 'no Content-Type'})")


class Limiter(Protocol):
    def check(self, key: str) -> None: ...


def authenticate(centre: Centre, headers: Mapping[str, str], limiter: Limiter | None = None) -> Principal:
    """HTTP Basic (user name and API token as the password) or a Bearer token.

    The same per-token rate limit as the REST API applies (`limiter`, 429 with Retry-After)."""
    header = headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    scheme = scheme.lower()
    user: str | None = None
    if scheme == "basic":
        try:
            user, sep, token = base64.b64decode(credentials.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("the Basic credentials are not base64 of 'user:token'") from None
        if not sep:
            raise Unauthenticated("the Basic credentials are not base64 of 'user:token'")
    elif scheme == "bearer":
        token = credentials.strip()
    else:
        raise Unauthenticated(
            "send HTTP Basic credentials (user name and API token) or 'Authorization: Bearer <token>'"
        )
    with centre.db.read() as conn:
        principal = authenticate_token(conn, token)
    if principal is None or (user is not None and principal.username != user):
        raise Unauthenticated("the user name or API token is unknown, expired or revoked")
    if limiter is not None:
        limiter.check(f"token:{principal.token_id}")
    if principal.member_status != MemberStatus.ACTIVE:
        raise Forbidden(
            f"member {principal.member} is {principal.member_status.value}; its access is stopped"
        )
    return principal


_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    406: "Not acceptable",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
    500: "Internal error",
}


def error_response(
    status: int, message: str, code: str | None = None, extra: Mapping[str, str] | None = None
) -> Response:
    """The TAXII 2.1 error message (section 3.6.1)."""
    body: dict[str, Any] = {
        "title": _TITLES.get(status, "Error"),
        "description": message,
        "http_status": str(status),
    }
    if code:
        body["error_code"] = code
    headers = {"Content-Type": TAXII_MEDIA, **(extra or {})}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="markaz TAXII", Bearer realm="markaz TAXII"'
    return headers, status, orjson.dumps(body)


def _ok(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return {"Content-Type": TAXII_MEDIA, **(headers or {})}, status, orjson.dumps(content)


def handle(
    centre: Centre,
    request: TaxiiRequest,
    handler: Callable[..., Response],
    *args: str,
    limiter: Limiter | None = None,
) -> Response:
    """Run one handler: Accept first, then authentication, then the handler; errors as TAXII bodies."""
    try:
        check_accept(request.headers)
        request.principal = authenticate(centre, request.headers, limiter)
        return handler(centre, request, *args)
    except MarkazError as exc:
        return error_response(exc.status, exc.message, exc.code, getattr(exc, "headers", None))
    except Exception:  # the last line of defence: a TAXII error body, never a traceback
        log.exception("unexpected error in a TAXII request")
        return error_response(500, "the centre could not complete this request; it was logged")


# --- collections: one set per member ----------------------------------------------------


@dataclass(frozen=True)
class Collection:
    kind: str
    title: str
    description: str
    can_read: bool
    can_write: bool


KINDS: dict[str, Collection] = {
    "released": Collection(
        "released",
        "Released to us",
        "Everything released to this member, its own reports included, as STIX 2.1.",
        True,
        False,
    ),
    "submissions": Collection(
        "submissions",
        "Our submissions",
        "The reports this member submitted. POST adds reports; DELETE of a report object retracts it.",
        True,
        True,
    ),
    "fused": Collection(
        "fused",
        "Fused picture",
        "Sites and tracks as this member sees them: each a STIX grouping of its contributions' locations.",
        True,
        False,
    ),
    "submit": Collection(
        "submit",
        "Submit",
        "Write only: every report of a posted envelope becomes a markaz report of this member.",
        False,
        True,
    ),
}


def collection_id(member: str, kind: str) -> str:
    return str(uuid.uuid5(stix.MARKAZ_NAMESPACE, f"taxii:collection:{member}:{kind}"))


def _collection(principal: Principal, cid: str) -> Collection:
    for kind, c in KINDS.items():
        if collection_id(principal.member, kind) == cid:
            return c
    raise NotFound(f"there is no collection {cid}")


def _collection_resource(principal: Principal, c: Collection) -> dict[str, Any]:
    return {
        "id": collection_id(principal.member, c.kind),
        "title": c.title,
        "description": c.description,
        "can_read": c.can_read,
        "can_write": c.can_write,
        "media_types": [STIX_MEDIA],
    }


def discovery(centre: Centre, request: TaxiiRequest) -> Response:
    return _ok(
        {
            "title": "markaz TAXII 2.1 server",
            "description": "Reports released to each member, as STIX 2.1; one API root.",
            "default": f"/taxii2/{API_ROOT}/",
            "api_roots": [f"/taxii2/{API_ROOT}/"],
        }
    )


def api_root(centre: Centre, request: TaxiiRequest) -> Response:
    return _ok(
        {
            "title": "markaz",
            "description": f"markaz {__version__}: the exchange of one centre.",
            "versions": [TAXII_MEDIA],
            "max_content_length": centre.settings.max_body_bytes,
        }
    )


def collections(centre: Centre, request: TaxiiRequest) -> Response:
    assert request.principal is not None
    return _ok({"collections": [_collection_resource(request.principal, c) for c in KINDS.values()]})


def collection(centre: Centre, request: TaxiiRequest, cid: str) -> Response:
    assert request.principal is not None
    return _ok(_collection_resource(request.principal, _collection(request.principal, cid)))


# --- reading objects ------------------------------------------------------------------


def _split(value: str | None) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset(v.strip() for v in value.split(",") if v.strip())


def _versions(value: str | None) -> interop.VersionSelection:
    if value is None:
        return interop.VersionSelection()
    words = _split(value) or frozenset()
    at = set()
    for w in words - {"last", "first", "all"}:
        try:
            at.add(stix.parse_ts(w))
        except ValueError:
            raise InvalidInput(
                f"match[version]: {w!r} is not last, first, all or a timestamp", field="match[version]"
            ) from None
    return interop.VersionSelection(
        last="last" in words, first="first" in words, every="all" in words, at=frozenset(at)
    )


def _readable(principal: Principal, cid: str) -> Collection:
    c = _collection(principal, cid)
    if not c.can_read:
        raise Forbidden(f"the collection {c.title!r} is write only")
    return c


def _query(
    centre: Centre, request: TaxiiRequest, c: Collection, *, object_id: str | None = None, every: bool = False
) -> stix_feed.FeedQuery:
    assert request.principal is not None
    scope = interop.Scope(request.principal.member, own_only=c.kind == "submissions")
    ids = frozenset({object_id}) if object_id else _split(request.param("match[id]"))
    added_after = None
    if (text := request.param("added_after")) is not None:
        try:
            added_after = stix.parse_ts(text)
        except ValueError:
            raise InvalidInput(
                "added_after must be a timestamp such as 2026-09-01T00:00:00Z", field="added_after"
            ) from None
    spec = _split(request.param("match[spec_version]"))
    versions = (
        interop.VersionSelection(last=False, every=True)
        if every
        else _versions(request.param("match[version]"))
    )
    query = stix_feed.FeedQuery(
        scope=scope,
        versions=versions,
        types=_split(request.param("match[type]")),
        ids=ids,
        spec_versions=spec,
        added_after=added_after,
        fused=c.kind == "fused",
    )
    if ids is not None and not query.fused:
        with centre.db.read() as conn:
            found = stix_feed.resolve_report_ids(conn, centre.db.dialect, scope, ids)
        query = stix_feed.FeedQuery(
            scope=interop.Scope(scope.viewer, own_only=scope.own_only, report_ids=found),
            versions=query.versions,
            types=query.types,
            ids=ids,
            spec_versions=spec,
            added_after=added_after,
        )
    return query


def _limit(centre: Centre, request: TaxiiRequest) -> int:
    text = request.param("limit")
    if text is None:
        return centre.settings.default_page_size
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise InvalidInput("limit must be a positive whole number", field="limit")
    # The spec lets a server answer fewer than asked; markaz never pages beyond its maximum.
    return min(value, centre.settings.max_page_size)


def _page(
    centre: Centre, request: TaxiiRequest, query: stix_feed.FeedQuery, purpose: str
) -> tuple[list[stix_feed.Entry], str | None]:
    codec = CursorCodec(centre.settings.secret_key, "taxii")
    fingerprint = query.fingerprint(purpose)
    start: stix_feed.Position | None = None
    if (cursor := request.param("next")) is not None:
        state = codec.decode(cursor)
        p = state.get("p")
        if state.get("h") != fingerprint or not isinstance(p, list) or len(p) != 4:
            raise InvalidInput("next belongs to another query: repeat the same filters with it", field="next")
        start = (stix.parse_ts(str(p[0])), str(p[1]), int(p[2]), int(p[3]))
    fused = None
    if query.fused:
        from markaz.dissemination.stix_fused import fused_objects

        groupings = fused_objects(centre, query.scope.viewer)
        fused = stix_feed.single_version_entries(query, [(added, g["id"], g) for added, g in groupings])
    with centre.db.read() as conn:
        entries, after = stix_feed.page(
            conn, centre.db.dialect, query, start=start, limit=_limit(centre, request), fused=fused
        )
    next_cursor = None
    if after is not None:
        next_cursor = codec.encode({"p": [stix.ts(after[0]), after[1], after[2], after[3]], "h": fingerprint})
    return entries, next_cursor


def _date_headers(entries: Sequence[stix_feed.Entry]) -> dict[str, str]:
    if not entries:
        return {}
    return {
        "X-TAXII-Date-Added-First": stix.ts(entries[0].added),
        "X-TAXII-Date-Added-Last": stix.ts(entries[-1].added),
    }


def _envelope(
    entries: Sequence[stix_feed.Entry], next_cursor: str | None, key: str, items: list[Any]
) -> Response:
    content: dict[str, Any] = {"more": next_cursor is not None}
    if next_cursor is not None:
        content["next"] = next_cursor
    if items:
        content[key] = items
    return _ok(content, headers=_date_headers(entries))


def get_objects(centre: Centre, request: TaxiiRequest, cid: str) -> Response:
    assert request.principal is not None
    c = _readable(request.principal, cid)
    entries, next_cursor = _page(centre, request, _query(centre, request, c), "objects")
    return _envelope(entries, next_cursor, "objects", [e.obj for e in entries])


def get_manifest(centre: Centre, request: TaxiiRequest, cid: str) -> Response:
    assert request.principal is not None
    c = _readable(request.principal, cid)
    entries, next_cursor = _page(centre, request, _query(centre, request, c), "manifest")
    records = [
        {"id": e.obj["id"], "date_added": stix.ts(e.added), "version": e.version, "media_type": STIX_MEDIA}
        for e in entries
    ]
    return _envelope(entries, next_cursor, "objects", records)


def get_object(centre: Centre, request: TaxiiRequest, cid: str, oid: str) -> Response:
    assert request.principal is not None
    c = _readable(request.principal, cid)
    entries, next_cursor = _page(centre, request, _query(centre, request, c, object_id=oid), "object:" + oid)
    if not entries and request.param("next") is None:
        raise NotFound(f"there is no object {oid} in this collection")
    return _envelope(entries, next_cursor, "objects", [e.obj for e in entries])


def get_versions(centre: Centre, request: TaxiiRequest, cid: str, oid: str) -> Response:
    assert request.principal is not None
    c = _readable(request.principal, cid)
    query = _query(centre, request, c, object_id=oid, every=True)
    entries, next_cursor = _page(centre, request, query, "versions:" + oid)
    if not entries and request.param("next") is None:
        raise NotFound(f"there is no object {oid} in this collection")
    return _envelope(entries, next_cursor, "versions", [e.version for e in entries])


# --- writing ------------------------------------------------------------------------


def _require_write(principal: Principal, cid: str) -> Collection:
    c = _collection(principal, cid)
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
    return _ok(_status_resource(row), status=202)


def get_status(centre: Centre, request: TaxiiRequest, status_id: str) -> Response:
    assert request.principal is not None
    with centre.db.read() as conn:
        row = interop.get_status(conn, request.principal.member, status_id)
    if row is None:
        raise NotFound(f"there is no status {status_id}")
    return _ok(_status_resource(row))


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
