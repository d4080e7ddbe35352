"""TAXII 2.1 reading: objects, manifests, one object and its versions, filtered and paged by date added."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markaz.centre import Centre
from markaz.dissemination import stix, stix_feed
from markaz.dissemination.cursors import CursorCodec
from markaz.dissemination.taxii.catalogue import Collection, find_collection
from markaz.dissemination.taxii.protocol import STIX_MEDIA, Response, TaxiiRequest, ok
from markaz.errors import Forbidden, InvalidInput, NotFound
from markaz.storage import interop
from markaz.storage.principals import Principal


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
    c = find_collection(principal, cid)
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
    return ok(content, headers=_date_headers(entries))


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
