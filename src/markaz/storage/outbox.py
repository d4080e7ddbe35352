"""Writing to the durable outbox: items queued for dissemination inside the caller's transaction.

`enqueue` is the one function other parts of markaz call to disseminate something (a report, a
centre product, a notification); `enqueue_reports` is its batch form on the ingest path. Both
write in the caller's transaction, so an item is queued if and only if what it announces
commits. Turning the rows into deliveries is dissemination's work (`dissemination.outbox`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, text

from markaz.domain.enums import Precedence
from markaz.errors import InvalidInput
from markaz.storage.dialects import StorageDialect
from markaz.storage.schema_dissemination import outbox

EVENTS = ("report", "correction", "retraction", "product", "notification")
# Events whose recipients are decided by the caller, not by the report's releasability alone.
EXPLICIT_EVENTS = ("product", "notification")
WAKE_KEY = "markaz.outbox_rank"
NOTIFY_CHANNEL = "markaz_outbox"


def _mark(conn: Connection, dialect: StorageDialect, rank: int) -> None:
    # The in-process worker rings on commit (see worker.Doorbell); other processes hear a
    # NOTIFY on PostgreSQL, which is delivered only if this transaction commits.
    previous = conn.info.get(WAKE_KEY)
    conn.info[WAKE_KEY] = rank if previous is None else min(previous, rank)
    if dialect.name == "postgresql" and previous is None:
        conn.execute(
            text("SELECT pg_notify(:channel, :rank)"), {"channel": NOTIFY_CHANNEL, "rank": str(rank)}
        )


def enqueue(
    conn: Connection,
    dialect: StorageDialect,
    *,
    event: str,
    report_id: str,
    precedence: str,
    recipients: Iterable[str] | None = None,
    payload: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> int:
    """Queue one item for dissemination inside the caller's transaction; returns the outbox id.

    event: report | correction | retraction | product | notification.
    report_id: the item's id (a report id, or a product's id up to 64 characters).
    recipients: for product and notification, the member codes to deliver to (only those
      active when the worker fans the item out receive it; if `report_id` names a stored
      report, only those it is released to). For report events leave it None: recipients
      come from the report's releasability and the members' subscriptions.
    payload: what the webhook body's "report" key carries for product and notification
      (JSON object); report events send the stored report as each recipient reads it.
    """
    if event not in EVENTS:
        raise InvalidInput(f"event must be one of {', '.join(EVENTS)}", field="event")
    try:
        rank = Precedence(precedence).rank
    except ValueError:
        raise InvalidInput(
            "precedence: one of FLASH, IMMEDIATE, PRIORITY, ROUTINE", field="precedence"
        ) from None
    if event in EXPLICIT_EVENTS and recipients is None:
        raise InvalidInput(f"a {event} needs its recipients", field="recipients")
    if not report_id or len(report_id) > 64:
        raise InvalidInput("report_id: 1 to 64 characters", field="report_id")
    row = {
        "event": event,
        "precedence_rank": rank,
        "refs": [report_id],
        "recipients": sorted(set(recipients)) if recipients is not None else None,
        "payload": dict(payload) if payload is not None else None,
        "state": "queued",
        "created_at": now or datetime.now(UTC),
    }
    outbox_id = int(conn.execute(outbox.insert().values(**row).returning(outbox.c.id)).scalar_one())
    _mark(conn, dialect, rank)
    return outbox_id


def enqueue_reports(
    conn: Connection, dialect: StorageDialect, rows: Sequence[Mapping[str, Any]], now: datetime
) -> None:
    """The ingest hot path: one outbox row per (event, precedence) of a batch, one executemany."""
    groups: dict[tuple[str, int], list[str]] = {}
    for r in rows:
        event = "correction" if r["supersedes"] else "report"
        groups.setdefault((event, r["precedence_rank"]), []).append(r["id"])
    if not groups:
        return
    conn.execute(
        outbox.insert(),
        [
            {
                "event": event,
                "precedence_rank": rank,
                "refs": refs,
                "recipients": None,
                "payload": None,
                "state": "queued",
                "created_at": now,
            }
            for (event, rank), refs in sorted(groups.items(), key=lambda kv: kv[0][1])
        ],
    )
    _mark(conn, dialect, min(rank for _, rank in groups))
