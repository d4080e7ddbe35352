"""What a member's STIX feed holds: object versions in date-added order, one page at a time."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from heapq import merge
from typing import Any

from sqlalchemy import Connection

from markaz.dissemination import stix, stix_views
from markaz.storage import interop
from markaz.storage import reports as store
from markaz.storage.dialects import StorageDialect
from markaz.storage.members import list_members

REPORT_TYPES = frozenset({"report", "location", "identity", "infrastructure", "relationship"})
# A reference object (marking, extension, identity of the centre or a member) sorts before a
# report's objects added at the same instant; report keys are ULIDs, which never start with "!".
REFERENCE_KEY = "!"

Position = tuple[datetime, str, int, int]  # date added, report id (or !stix id), version kind, index


@dataclass(frozen=True)
class Entry:
    """One version of one object in a feed, with the time it was added to the feed."""

    added: datetime
    key: str
    kind: int
    index: int
    obj: dict[str, Any]

    @property
    def position(self) -> Position:
        return (self.added, self.key, self.kind, self.index)

    @property
    def version(self) -> str:
        return str(self.obj.get("modified") or self.obj["created"])


@dataclass(frozen=True)
class FeedQuery:
    """A feed and its TAXII filters (match[...] and added_after)."""

    scope: interop.Scope
    versions: interop.VersionSelection = field(default_factory=interop.VersionSelection)
    types: frozenset[str] | None = None
    ids: frozenset[str] | None = None
    spec_versions: frozenset[str] | None = None
    added_after: datetime | None = None
    include_reference: bool = True
    fused: bool = False  # the fused picture (groupings) instead of reports

    def fingerprint(self, purpose: str) -> str:
        """Binds a cursor to its query: a cursor used with other filters is refused."""
        text = repr((purpose, self))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _wanted(q: FeedQuery, obj: dict[str, Any]) -> bool:
    if q.types is not None and obj["type"] not in q.types:
        return False
    if q.ids is not None and obj["id"] not in q.ids:
        return False
    return q.spec_versions is None or stix.SPEC_VERSION in q.spec_versions


def single_version_entries(q: FeedQuery, objects: list[tuple[datetime, str, dict[str, Any]]]) -> list[Entry]:
    """Entries of objects that have one version each (reference objects, groupings, comments),
    given as (date added, sort key, object)."""
    out = []
    for added, key, obj in objects:
        if not _wanted(q, obj):
            continue
        if q.added_after is not None and added <= q.added_after:
            continue
        version = stix.parse_ts(str(obj.get("modified") or obj["created"]))
        sel = q.versions
        if not (sel.last or sel.first or sel.every or version in sel.at):
            continue
        out.append(Entry(added, key, 0, 0, obj))
    out.sort(key=lambda e: e.position)
    return out


def reference_entries(conn: Connection, q: FeedQuery) -> list[Entry]:
    objects = [
        (stix.parse_ts(o["created"]), REFERENCE_KEY + o["id"], o)
        for o in stix.reference_objects(list_members(conn))
    ]
    return single_version_entries(q, objects)


def _expand(
    conn: Connection, q: FeedQuery, batch: list[tuple[datetime, str, int, dict[str, Any]]]
) -> list[Entry]:
    rows = [b[3] for b in batch]
    obs = store.observations_for(conn, [r["id"] for r in rows])
    chains = stix.chains_for(conn, q.scope.viewer, rows)
    out: list[Entry] = []
    for added, rid, kind, row in batch:
        objects = stix.report_objects(row, obs[rid], chains[rid], revoked=kind == interop.RETRACTED)
        out.extend(Entry(added, rid, kind, i, o) for i, o in enumerate(objects) if _wanted(q, o))
    return out


def _is_report_key(key: str) -> bool:
    return len(key) == 26 and key[0].isalnum()


def _report_entries(
    conn: Connection, dialect: StorageDialect, q: FeedQuery, start: Position | None, chunk: int
) -> Iterator[Entry]:
    starts: dict[int, tuple[datetime, str] | None] = {interop.CREATED: None, interop.RETRACTED: None}
    if start is not None:
        at, key = start[0], start[1]
        if _is_report_key(key):
            starts = {interop.CREATED: (at, key), interop.RETRACTED: (at, key)}
        else:
            # A reference object or comment: reports from that instant on (a millisecond early at
            # most; the caller drops what sorts before `start`).
            starts = {
                interop.CREATED: (at, interop.first_id_after(at - timedelta(milliseconds=1))),
                interop.RETRACTED: (at, ""),
            }
    streams = [
        interop.iter_versions(
            conn,
            dialect,
            q.scope,
            kind,
            q.versions,
            start=starts[kind],
            added_after=q.added_after,
            chunk=chunk,
        )
        for kind in (interop.CREATED, interop.RETRACTED)
    ]
    merged = merge(*streams, key=lambda v: (v[0], v[1], v[2]))
    batch: list[tuple[datetime, str, int, dict[str, Any]]] = []
    for item in merged:
        batch.append(item)
        if len(batch) >= chunk:
            yield from _expand(conn, q, batch)
            batch = []
    if batch:
        yield from _expand(conn, q, batch)


def _views_wanted(q: FeedQuery) -> bool:
    """Comments and opinions travel in the member's full feed: not in its own submissions, the
    fused picture or a filtered export."""
    if q.fused or q.scope.own_only or q.scope.report_filter is not None:
        return False
    return q.types is None or bool(q.types & stix_views.VIEW_TYPES)


def _view_entries(conn: Connection, q: FeedQuery, start: Position | None, limit: int) -> list[Entry]:
    row_start = None
    if start is not None:
        key = start[1][1:] if start[1].startswith(stix_views.COMMENT_KEY) else ""
        row_start = (start[0], key)
    # An id lookup reads every comment (there is no index from STIX ids back to comments).
    found = stix_views.comment_objects(
        conn,
        q.scope.viewer,
        start=row_start,
        added_after=q.added_after,
        limit=None if q.ids is not None else limit + 1,
    )
    return single_version_entries(
        q, [(added, stix_views.COMMENT_KEY + cid, obj) for added, cid, obj in found]
    )


def page(
    conn: Connection,
    dialect: StorageDialect,
    q: FeedQuery,
    *,
    start: Position | None,
    limit: int,
    fused: list[Entry] | None = None,
) -> tuple[list[Entry], Position | None]:
    """Up to `limit` entries from `start` on, and the position of the next one (None: no more).

    `fused`: the entries of the fused picture, when the feed is that collection."""
    refs = reference_entries(conn, q) if q.include_reference else []
    if fused is not None:
        refs = list(merge(refs, fused, key=lambda e: e.position))
    if _views_wanted(q):
        refs = list(merge(refs, _view_entries(conn, q, start, limit), key=lambda e: e.position))
    if start is not None:
        refs = [e for e in refs if e.position >= start]
    found: list[Entry] = []
    reports_wanted = not q.fused and (q.types is None or bool(q.types & REPORT_TYPES))
    if q.scope.report_ids is not None and not q.scope.report_ids:
        reports_wanted = False
    if reports_wanted:
        # About five objects per report: fetch roughly a page's worth of reports at a time.
        chunk = max(20, min(1000, limit // 4 + 2))
        for entry in _report_entries(conn, dialect, q, start, chunk):
            if start is not None and entry.position < start:
                continue
            found.append(entry)
            if len(found) > limit:
                break
    merged = list(merge(refs, found, key=lambda e: e.position))[: limit + 1]
    if len(merged) > limit:
        return merged[:limit], merged[limit].position
    return merged, None


# --- resolving STIX ids back to reports ------------------------------------------------


def _key(u: bytes) -> bytes:
    # The bytes of a uuid5 that its version and variant bits leave untouched.
    return u[:6] + u[10:16]


def resolve_report_ids(
    conn: Connection, dialect: StorageDialect, scope: interop.Scope, stix_ids: frozenset[str]
) -> frozenset[str]:
    """The stored reports (every visible version) whose STIX objects carry one of these ids.

    STIX ids are uuid5 hashes of markaz names, so they are found by hashing the names of the
    reports this scope reads (one SHA-1 per report, and per observation for non-report ids).
    """
    targets: dict[bytes, list[str]] = {}
    for sid in stix_ids:
        kind, _, text = sid.partition("--")
        if kind not in REPORT_TYPES:
            continue
        try:
            u = uuid.UUID(text)
        except ValueError:
            continue
        targets.setdefault(_key(u.bytes), []).append(sid)
    if not targets:
        return frozenset()
    need_parts = any(s.split("--")[0] != "report" for ids in targets.values() for s in ids)
    heads = list(interop.visible_report_heads(conn, dialect, scope))
    roots = {rid: rid for rid, sup in heads if sup is None}
    linked = [(rid, sup) for rid, sup in heads if sup is not None]
    if linked:
        chains = stix.chains_for(
            conn, scope.viewer, [{"id": rid, "supersedes": sup, "created_at": None} for rid, sup in linked]
        )
        roots.update({rid: chains[rid].root_id for rid, _ in linked})
    matched_roots: set[str] = set()

    def check(name: str, root: str) -> None:
        if _key(stix.name_digest(name)) in targets:
            matched_roots.add(root)

    for root in set(roots.values()):
        check(f"report:{root}", root)
    if need_parts:
        parts = ("location", "subject", "thing", "located-at")
        for rid, ordinal in interop.observation_ordinals(conn, sorted(roots)):
            root = roots[rid]
            for part in parts:
                check(f"report:{root}:{part}:{ordinal}", root)
    if not matched_roots:
        return frozenset()
    return frozenset(interop.chain_descendants(conn, matched_roots) & set(roots))
