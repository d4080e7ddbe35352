"""Queries of interoperability: report versions in date-added order for TAXII, chains, status rows."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, false, insert, or_, select, true
from sqlalchemy.sql import ColumnElement
from ulid import ULID

from markaz.storage import reports as store
from markaz.storage.dialects import StorageDialect
from markaz.storage.schema import observations, report_access, reports
from markaz.storage.schema_interop import taxii_status

CREATED = 0  # a report row's own version: date added = created_at
RETRACTED = 1  # the revoked version a retraction adds: date added = retracted_at


@dataclass(frozen=True)
class VersionSelection:
    """TAXII match[version]: any of last, first, all, or exact version timestamps."""

    last: bool = True
    first: bool = False
    every: bool = False
    at: frozenset[datetime] = frozenset()


@dataclass(frozen=True)
class Scope:
    """Which reports a feed reads: the viewer's visible ones, optionally only its own, filtered."""

    viewer: str
    own_only: bool = False
    report_filter: store.ReportFilter | None = None
    report_ids: frozenset[str] | None = None  # restrict to these rows (an id lookup)


def _base(dialect: StorageDialect, scope: Scope) -> Any:
    # THE visibility join of storage.reports: releasability is enforced here, nowhere else.
    query = store._visible(scope.viewer)
    if scope.own_only:
        query = query.where(reports.c.originator == scope.viewer)
    if scope.report_filter is not None:
        query = store._apply_filter(dialect, query, scope.report_filter)
    if scope.report_ids is not None:
        query = query.where(reports.c.id.in_(sorted(scope.report_ids)))
    return query


def _conditions(kind: int, viewer: str, versions: VersionSelection) -> ColumnElement[bool]:
    if versions.every:
        return true() if kind == CREATED else reports.c.status == "retracted"
    parts: list[ColumnElement[bool]] = []
    if kind == CREATED:
        if versions.last:
            parts.append(reports.c.status == "active")
        if versions.first:
            seen = select(report_access.c.report_id).where(report_access.c.member_code == viewer)
            parts.append(or_(reports.c.supersedes.is_(None), reports.c.supersedes.not_in(seen)))
        if versions.at:
            parts.append(reports.c.created_at.in_(sorted(versions.at)))
        return or_(false(), *parts)
    # retracted_at IS NOT NULL lets the planner use the partial index of migration 0009.
    retracted = and_(reports.c.retracted_at.is_not(None), reports.c.status == "retracted")
    if versions.last:
        parts.append(true())
    if versions.at:
        parts.append(reports.c.retracted_at.in_(sorted(versions.at)))
    return and_(retracted, or_(false(), *parts))


def version_rows(
    conn: Connection,
    dialect: StorageDialect,
    scope: Scope,
    kind: int,
    versions: VersionSelection,
    *,
    start: tuple[datetime, str] | None,
    added_after: datetime | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Report rows whose version of `kind` is selected, oldest date added first, from `start` on.

    A report's own version is added at the time its ULID carries (its receipt, to the
    millisecond), so ids order it: the query walks the viewer's access rows in key order
    (member, report id) and stops after `limit`, whatever the size of the collection."""
    query = _base(dialect, scope).where(_conditions(kind, scope.viewer, versions))
    if kind == CREATED:
        key = report_access.c.report_id
        if start is not None:
            query = query.where(key >= start[1])
        if added_after is not None:
            query = query.where(key >= first_id_after(added_after))
        query = query.order_by(key).limit(limit)
        return [dict(r) for r in conn.execute(query).mappings()]
    column = reports.c.retracted_at
    # Drive the query from the few retracted reports (partial index of migration 0009), probing
    # the viewer's access rows, instead of walking every access row of the viewer.
    retracted = select(reports.c.id).where(reports.c.retracted_at.is_not(None))
    query = query.where(report_access.c.report_id.in_(retracted))
    if start is not None:
        at, rid = start
        query = query.where(or_(column > at, and_(column == at, reports.c.id >= rid)))
    if added_after is not None:
        query = query.where(column > added_after)
    query = query.order_by(column, reports.c.id).limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()]


def added_at(report_id: str) -> datetime:
    """When a report's own version was added: the time in its ULID (milliseconds, UTC)."""
    return ULID.from_str(report_id).datetime


def first_id_after(moment: datetime) -> str:
    """The smallest ULID whose time is strictly after `moment`."""
    millis = math.floor(moment.timestamp() * 1000) + 1
    return str(ULID.from_bytes(millis.to_bytes(6, "big") + bytes(10)))


def iter_versions(
    conn: Connection,
    dialect: StorageDialect,
    scope: Scope,
    kind: int,
    versions: VersionSelection,
    *,
    start: tuple[datetime, str] | None,
    added_after: datetime | None,
    chunk: int,
) -> Iterator[tuple[datetime, str, int, dict[str, Any]]]:
    """(date added, report id, kind, row), oldest first, fetched `chunk` rows at a time."""
    position = start
    skip: str | None = None
    while True:
        rows = version_rows(
            conn, dialect, scope, kind, versions, start=position, added_after=added_after, limit=chunk
        )
        for row in rows:
            if row["id"] == skip:
                continue
            yield (added_at(row["id"]) if kind == CREATED else row["retracted_at"]), row["id"], kind, row
        if len(rows) < chunk:
            return
        last = rows[-1]
        position = (added_at(last["id"]) if kind == CREATED else last["retracted_at"], last["id"])
        skip = last["id"]


def chain_links(conn: Connection, report_ids: Collection[str]) -> dict[str, tuple[str | None, datetime]]:
    """id -> (supersedes, created_at) for these reports and every earlier version of them.

    Used only to derive STIX ids and `created`; nothing of it reaches a viewer unchecked.
    """
    links: dict[str, tuple[str | None, datetime]] = {}
    todo = set(report_ids)
    while todo:
        batch = sorted(todo)[:500]
        todo -= set(batch)
        for rid, sup, created in conn.execute(
            select(reports.c.id, reports.c.supersedes, reports.c.created_at).where(reports.c.id.in_(batch))
        ):
            links[rid] = (sup, created)
            if sup is not None and sup not in links:
                todo.add(sup)
    return links


def visible_among(conn: Connection, viewer: str, report_ids: Collection[str]) -> set[str]:
    found: set[str] = set()
    ids = sorted(report_ids)
    for start in range(0, len(ids), 500):
        found.update(
            conn.execute(
                select(report_access.c.report_id).where(
                    report_access.c.member_code == viewer,
                    report_access.c.report_id.in_(ids[start : start + 500]),
                )
            ).scalars()
        )
    return found


def chain_descendants(conn: Connection, roots: Collection[str]) -> set[str]:
    """The roots and every correction that descends from them."""
    found = set(roots)
    frontier = set(roots)
    while frontier:
        batch = sorted(frontier)
        frontier = set()
        for start in range(0, len(batch), 500):
            for rid in conn.execute(
                select(reports.c.id).where(reports.c.supersedes.in_(batch[start : start + 500]))
            ).scalars():
                if rid not in found:
                    found.add(rid)
                    frontier.add(rid)
    return found


def visible_report_heads(
    conn: Connection, dialect: StorageDialect, scope: Scope
) -> Iterator[tuple[str, str | None]]:
    """(id, supersedes) of every report the scope reads, for resolving STIX ids back to reports."""
    query = _base(dialect, scope).with_only_columns(reports.c.id, reports.c.supersedes)
    for rid, sup in conn.execute(query.execution_options(yield_per=5000)):
        yield str(rid), sup


def observation_ordinals(conn: Connection, report_ids: Sequence[str]) -> Iterator[tuple[str, int]]:
    for start in range(0, len(report_ids), 500):
        for rid, ordinal in conn.execute(
            select(observations.c.report_id, observations.c.ordinal).where(
                observations.c.report_id.in_(report_ids[start : start + 500])
            )
        ):
            yield str(rid), int(ordinal)


# --- TAXII status resources ------------------------------------------------------------


def insert_status(conn: Connection, row: Mapping[str, Any]) -> None:
    conn.execute(insert(taxii_status).values(**row))


def get_status(conn: Connection, member: str, status_id: str) -> dict[str, Any] | None:
    """A status resource, only for the member that made the request."""
    row = (
        conn.execute(
            select(taxii_status).where(taxii_status.c.id == status_id, taxii_status.c.member_code == member)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def purge_status(conn: Connection, now: datetime, keep: timedelta) -> int:
    result = conn.execute(delete(taxii_status).where(taxii_status.c.created_at < now - keep))
    return int(result.rowcount or 0)


# --- comments on reports (the exchange of views), as the report's readers see them ------


def report_comments(
    conn: Connection,
    viewer: str,
    *,
    start: tuple[datetime, str] | None,
    added_after: datetime | None,
    limit: int | None,
) -> list[dict[str, Any]]:
    """Comments on reports the viewer may read (joined to its access rows), oldest first, with
    the commented report's supersedes link and creation time for its STIX id."""
    from markaz.storage.schema_views import comments

    query = (
        select(comments, reports.c.supersedes, reports.c.created_at.label("report_created_at"), reports.c.tlp)
        .join(reports, reports.c.id == comments.c.target_id)
        .join(
            report_access,
            and_(report_access.c.report_id == comments.c.target_id, report_access.c.member_code == viewer),
        )
        .where(comments.c.target_type == "report")
    )
    if start is not None:
        at, cid = start
        query = query.where(
            or_(comments.c.created_at > at, and_(comments.c.created_at == at, comments.c.id >= cid))
        )
    if added_after is not None:
        query = query.where(comments.c.created_at > added_after)
    query = query.order_by(comments.c.created_at, comments.c.id)
    if limit is not None:
        query = query.limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()]
