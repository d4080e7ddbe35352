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
    """delivery id -> the "report" object `member` receives; None when nothing may be shown."""
    return items_for_recipients(conn, [{**r, "member_code": member} for r in rows])


def items_for_recipients(
    conn: Connection, rows: Sequence[Mapping[str, Any]]
) -> dict[str, dict[str, Any] | None]:
    """delivery id -> the "report" object its recipient (`member_code`) receives, or None.

    Reports are read joined to report_access on (recipient, report), the same join as
    `store._visible`: a delivery can never carry a report not released to its recipient,
    whatever put the delivery there.
    """
    out: dict[str, dict[str, Any] | None] = {}
    payload_ids = sorted({r["outbox_id"] for r in rows if r["event"] in ("product", "notification")})
    payloads: dict[int, Any] = {}
    if payload_ids:
        payloads = dict(
            conn.execute(select(outbox.c.id, outbox.c.payload).where(outbox.c.id.in_(payload_ids))).all()
        )
    refs = sorted({r["ref"] for r in rows})
    recipients = sorted({r["member_code"] for r in rows})
    visible: dict[tuple[str, str], dict[str, Any]] = {}
    stored: dict[str, dict[str, Any]] = {}
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        query = (
            select(reports, report_access.c.member_code.label("_viewer"))
            .join(report_access, report_access.c.report_id == reports.c.id)
            .where(reports.c.id.in_(chunk), report_access.c.member_code.in_(recipients))
        )
        for row in conn.execute(query).mappings():
            found = {k: v for k, v in row.items() if k != "_viewer"}
            stored[found["id"]] = found
            visible[(row["_viewer"], found["id"])] = found
    linked = sorted({r["supersedes"] for r in stored.values() if r["supersedes"]})
    seen: set[tuple[str, str]] = set()
    if linked:
        seen = {
            (m, rid)
            for m, rid in conn.execute(
                select(report_access.c.member_code, report_access.c.report_id).where(
                    report_access.c.member_code.in_(recipients), report_access.c.report_id.in_(linked)
                )
            )
        }
    obs = store.observations_for(conn, list(stored))
    for r in rows:
        member = r["member_code"]
        report = visible.get((member, r["ref"]))
        if r["event"] in ("product", "notification"):
            payload = payloads.get(r["outbox_id"])
            # A product tied to a stored report is shown only to those the report is released to.
            out[r["id"]] = payload if (report is not None or not _is_report(conn, r["ref"])) else None
            continue
        if report is None:
            out[r["id"]] = None
            continue
        shown = dict(report)
        if shown["supersedes"] and (member, shown["supersedes"]) not in seen:
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
