"""Stored reports: batch insert, and every read path, each restricted to what a viewer may see."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, select, update
from sqlalchemy.sql import Select

from markaz.domain.normalise import normalise_for_search
from markaz.storage import audit
from markaz.storage.canonical import iso, object_hash, report_snapshot
from markaz.storage.dialects import BBox, StorageDialect
from markaz.storage.outbox import enqueue_reports
from markaz.storage.schema import jobs, observations, report_access, reports


@dataclass
class PreparedReport:
    """A validated report with its resolved recipients, ready to be written."""

    row: dict[str, Any]
    recipients: frozenset[str]
    observations: list[dict[str, Any]]
    search_text: str
    # Hash of the report's canonical snapshot, computed before the write transaction so
    # the writer holds the lock for as short a time as possible.
    digest: str = ""

    def __post_init__(self) -> None:
        if not self.digest:
            self.digest = object_hash(report_snapshot(self.row, self.recipients, self.observations))


@dataclass(frozen=True)
class ReportFilter:
    """The filters every list path shares (API list, GeoJSON, CLI, exports)."""

    bbox: BBox | None = None
    category: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    q: str | None = None
    originator: str | None = None
    precedence: str | None = None
    status: str | None = None


@dataclass
class InsertOutcome:
    created: list[str] = field(default_factory=list)
    # index in the batch -> id of the report that already had this client_ref
    existing: dict[int, str] = field(default_factory=dict)


def existing_client_refs(
    conn: Connection, dialect: StorageDialect, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    # Grouped by originator so the lookup uses the (originator, client_ref) unique index;
    # a row-value IN list makes SQLite scan the whole reports table.
    by_originator: dict[str, list[str]] = {}
    for originator, ref in keys:
        by_originator.setdefault(originator, []).append(ref)
    found: dict[tuple[str, str], str] = {}
    for originator, refs in by_originator.items():
        for ref, rid in dialect.existing_client_refs(conn, originator, refs).items():
            found[(originator, ref)] = rid
    return found


def insert_reports(
    conn: Connection,
    dialect: StorageDialect,
    batch: Sequence[PreparedReport],
    *,
    actor: str,
    action: str = "report.submit",
) -> InsertOutcome:
    """Write a batch in one transaction: reports, access rows, observations, search rows, audit.

    A report whose (originator, client_ref) is already stored, or repeats an earlier item of
    the same batch, is not written again; its index maps to the original's id.
    """
    outcome = InsertOutcome()
    keyed = [(p.row["originator"], p.row["client_ref"]) for p in batch if p.row["client_ref"] is not None]
    seen = existing_client_refs(conn, dialect, keyed) if keyed else {}
    to_write: list[PreparedReport] = []
    for index, prepared in enumerate(batch):
        ref = prepared.row["client_ref"]
        if ref is not None:
            key = (prepared.row["originator"], ref)
            if key in seen:
                outcome.existing[index] = seen[key]
                continue
            seen[key] = prepared.row["id"]
        to_write.append(prepared)
        outcome.created.append(prepared.row["id"])
    if not to_write:
        return outcome
    dialect.bulk_insert(conn, reports, [p.row for p in to_write])
    dialect.bulk_insert(
        conn,
        report_access,
        [{"member_code": m, "report_id": p.row["id"]} for p in to_write for m in sorted(p.recipients)],
    )
    dialect.insert_observations(conn, [o for p in to_write for o in p.observations])
    dialect.insert_search_rows(conn, [{"report_id": p.row["id"], "content": p.search_text} for p in to_write])
    # Free text without observations: extraction runs later from the durable queue, never
    # inside the request; the job is part of this transaction so it cannot be lost.
    extract = [
        {
            "kind": "extract",
            "ref": p.row["id"],
            "priority": p.row["precedence_rank"],
            "state": "queued",
            "attempts": 0,
            "created_at": p.row["created_at"],
            "claimed_at": None,
            "last_error": None,
        }
        for p in to_write
        if not p.observations and p.row["body"].strip()
    ]
    if extract:
        conn.execute(jobs.insert(), extract)
    # Dissemination: one outbox row per precedence of the batch; a worker fans it out.
    enqueue_reports(conn, dialect, [p.row for p in to_write], to_write[0].row["created_at"])
    audit.append(
        conn,
        dialect,
        actor,
        [audit.AuditEvent(action, "report", p.row["id"], p.digest) for p in to_write],
        at=to_write[0].row["created_at"],
    )
    return outcome


# --- reading: every function below takes the viewer and joins report_access on it ----------


def _visible(viewer: str) -> Select[Any]:
    """The one place releasability is enforced: reports joined to the viewer's access rows."""
    return select(reports).join(
        report_access, and_(report_access.c.report_id == reports.c.id, report_access.c.member_code == viewer)
    )


def get_report_row(conn: Connection, viewer: str, report_id: str) -> dict[str, Any] | None:
    row = conn.execute(_visible(viewer).where(reports.c.id == report_id)).mappings().first()
    return dict(row) if row else None


def _apply_filter(dialect: StorageDialect, query: Select[Any], f: ReportFilter) -> Select[Any]:
    if f.originator:
        query = query.where(reports.c.originator == f.originator)
    if f.precedence:
        query = query.where(reports.c.precedence == f.precedence)
    if f.status:
        query = query.where(reports.c.status == f.status)
    if f.since:
        query = query.where(reports.c.created_at >= f.since)
    if f.until:
        query = query.where(reports.c.created_at < f.until)
    if f.category:
        query = query.where(
            reports.c.id.in_(select(observations.c.report_id).where(observations.c.category == f.category))
        )
    if f.bbox:
        query = query.where(reports.c.id.in_(dialect.bbox_report_ids(f.bbox)))
    if f.q is not None:
        query = query.where(reports.c.id.in_(dialect.search_report_ids(normalise_for_search(f.q))))
    return query


def list_report_rows(
    conn: Connection,
    dialect: StorageDialect,
    viewer: str,
    f: ReportFilter,
    *,
    limit: int,
    before_id: str | None = None,
) -> list[dict[str, Any]]:
    """Newest first; `before_id` continues a page (ids sort by time)."""
    query = _apply_filter(dialect, _visible(viewer), f)
    if before_id:
        query = query.where(reports.c.id < before_id)
    query = query.order_by(reports.c.id.desc()).limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()]


def observations_for(conn: Connection, report_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Observations of reports the caller has already checked are visible."""
    found: dict[str, list[dict[str, Any]]] = {rid: [] for rid in report_ids}
    if not report_ids:
        return found
    for start in range(0, len(report_ids), 500):
        chunk = list(report_ids[start : start + 500])
        for o in conn.execute(
            select(observations).where(observations.c.report_id.in_(chunk)).order_by(observations.c.id)
        ).mappings():
            found[o["report_id"]].append(dict(o))
    return found


def recipients_of(conn: Connection, report_id: str) -> list[str]:
    return sorted(
        conn.execute(
            select(report_access.c.member_code).where(report_access.c.report_id == report_id)
        ).scalars()
    )


def list_observation_rows(
    conn: Connection,
    dialect: StorageDialect,
    viewer: str,
    f: ReportFilter,
    *,
    limit: int,
    after_id: int | None = None,
) -> list[dict[str, Any]]:
    """Observations of visible reports, each itself inside the bbox and of the category asked."""
    visible_ids = _apply_filter(dialect, _visible(viewer).with_only_columns(reports.c.id), f)
    query = (
        select(
            observations,
            reports.c.originator,
            reports.c.title,
            reports.c.precedence,
            reports.c.created_at,
            reports.c.source_reliability,
            reports.c.information_credibility,
            reports.c.tlp,
            reports.c.status,
        )
        .join(reports, reports.c.id == observations.c.report_id)
        .where(observations.c.report_id.in_(visible_ids))
    )
    if f.category:
        query = query.where(observations.c.category == f.category)
    if f.bbox:
        query = query.where(
            observations.c.max_lon >= f.bbox[0],
            observations.c.min_lon <= f.bbox[2],
            observations.c.max_lat >= f.bbox[1],
            observations.c.min_lat <= f.bbox[3],
        )
    if after_id is not None:
        query = query.where(observations.c.id > after_id)
    query = query.order_by(observations.c.id).limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()]


def set_status(conn: Connection, report_id: str, **values: Any) -> None:
    conn.execute(update(reports).where(reports.c.id == report_id).values(**values))


def audit_report_state(
    conn: Connection, dialect: StorageDialect, report_id: str, *, action: str, actor: str
) -> None:
    """Record a report's current stored state (after a status change) in the audit chain."""
    row = conn.execute(select(reports).where(reports.c.id == report_id)).mappings().one()
    obs = observations_for(conn, [report_id])[report_id]
    audit.append(
        conn,
        dialect,
        actor,
        [
            audit.AuditEvent.of(
                action, "report", report_id, report_snapshot(dict(row), recipients_of(conn, report_id), obs)
            )
        ],
    )


def public_observation(o: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": o["id"],
        "category": o["category"],
        "geometry": o["geometry"],
        "observed_at": iso(o["observed_at"]),
        "subject": o["subject"],
        "note": o["note"],
    }


def public_report(
    row: Mapping[str, Any],
    obs: Sequence[Mapping[str, Any]],
    viewer: str,
    recipients: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The report as `viewer` reads it: originator-only fields only for the originator."""
    own = row["originator"] == viewer
    return {
        "id": row["id"],
        "originator": row["originator"],
        "author": row["author"],
        "created_at": iso(row["created_at"]),
        "observed_at": iso(row["observed_at"]),
        "title": row["title"],
        "body": row["body"],
        "language": row["language"],
        "precedence": row["precedence"],
        "source_reliability": row["source_reliability"],
        "information_credibility": row["information_credibility"],
        "tlp": row["tlp"],
        "releasable_to": row["releasable_to"],
        "status": row["status"],
        "supersedes": row["supersedes"],
        "superseded_by": row["superseded_by"],
        "retracted_at": iso(row["retracted_at"]),
        "retraction_reason": row["retraction_reason"],
        "client_ref": row["client_ref"] if own else None,
        "recipients": list(recipients) if own and recipients is not None else None,
        "observations": [public_observation(o) for o in obs],
    }
