"""What a delivery carries: the item as its recipient may read it, through the one visibility join."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select

from markaz.storage import reports as store
from markaz.storage.canonical import iso
from markaz.storage.schema import report_access, reports
from markaz.storage.schema_dissemination import outbox


def items_for(
    conn: Connection, member: str, rows: Sequence[Mapping[str, Any]]
) -> dict[str, dict[str, Any] | None]:
    """delivery id -> the "report" object `member` receives; None when nothing may be shown.

    Report events are read with `store._visible(member)`, so a delivery can never carry a
    report that is not released to its recipient, whatever put the delivery there.
    """
    out: dict[str, dict[str, Any] | None] = {}
    payload_ids = sorted({r["outbox_id"] for r in rows if r["event"] in ("product", "notification")})
    payloads: dict[int, Any] = {}
    if payload_ids:
        payloads = dict(
            conn.execute(select(outbox.c.id, outbox.c.payload).where(outbox.c.id.in_(payload_ids))).all()
        )
    refs = sorted({r["ref"] for r in rows})
    visible: dict[str, dict[str, Any]] = {}
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        for row in conn.execute(store._visible(member).where(reports.c.id.in_(chunk))).mappings():
            visible[row["id"]] = dict(row)
    linked = [r["supersedes"] for r in visible.values() if r["supersedes"]]
    seen = (
        set(
            conn.execute(
                select(report_access.c.report_id).where(
                    report_access.c.member_code == member, report_access.c.report_id.in_(linked)
                )
            ).scalars()
        )
        if linked
        else set()
    )
    obs = store.observations_for(conn, list(visible))
    for r in rows:
        report = visible.get(r["ref"])
        if r["event"] in ("product", "notification"):
            payload = payloads.get(r["outbox_id"])
            # A product tied to a stored report is shown only to those the report is released to.
            out[r["id"]] = payload if (report is not None or not _is_report(conn, r["ref"])) else None
            continue
        if report is None:
            out[r["id"]] = None
            continue
        shown = dict(report)
        if shown["supersedes"] and shown["supersedes"] not in seen:
            shown["supersedes"] = None
        out[r["id"]] = store.public_report(shown, obs[r["ref"]], member)
    return out


def _is_report(conn: Connection, ref: str) -> bool:
    return conn.execute(select(reports.c.id).where(reports.c.id == ref)).first() is not None


def delivery_public(row: Mapping[str, Any], now: Any) -> dict[str, Any]:
    """A delivery's state as its recipient (and the chair's board) sees it, without content."""
    acknowledged = row["acknowledged_at"] is not None
    return {
        "delivery_id": row["id"],
        "recipient": row["member_code"],
        "event": row["event"],
        "report_id": row["ref"],
        "precedence": row["precedence"],
        "created_at": iso(row["created_at"]),
        "received_at": iso(row["received_at"]),
        "received_via": row["received_via"],
        "acknowledged_at": iso(row["acknowledged_at"]),
        "acknowledged_by": row["acknowledged_by"],
        "due_at": iso(row["due_at"]),
        "overdue": not acknowledged and row["due_at"] < now,
        "escalations": row["escalations"],
        "resends": row["resends"],
        "state": "acknowledged" if acknowledged else ("received" if row["received_at"] else "queued"),
    }
