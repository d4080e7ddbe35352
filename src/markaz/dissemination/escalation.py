"""Handling-time objectives: an unacknowledged delivery past its objective is escalated and re-sent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from markaz.dissemination.outbox import objective, push_row
from markaz.domain.enums import Precedence
from markaz.settings import Settings
from markaz.storage import audit
from markaz.storage.dialects import StorageDialect
from markaz.storage.dissemination import delivery_snapshot
from markaz.storage.schema_dissemination import deliveries, endpoints, pushes

ACTOR = "centre.escalation"


def escalate(
    conn: Connection,
    dialect: StorageDialect,
    settings: Settings,
    *,
    now: datetime | None = None,
    limit: int = 500,
) -> int:
    """Escalate deliveries whose objective passed unacknowledged: count it, re-send, schedule the next."""
    now = now or datetime.now(UTC)
    query = (
        select(deliveries)
        .where(deliveries.c.escalate_at <= now, deliveries.c.acknowledged_at.is_(None))
        .order_by(deliveries.c.escalate_at)
        .limit(limit)
    )
    if dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = [dict(r) for r in conn.execute(query).mappings()]
    if not rows:
        return 0
    hooks: dict[str, list[int]] = {}
    codes = sorted({r["member_code"] for r in rows})
    for eid, code in conn.execute(
        select(endpoints.c.id, endpoints.c.member_code).where(
            endpoints.c.status == "active", endpoints.c.member_code.in_(codes)
        )
    ):
        hooks.setdefault(code, []).append(eid)
    events = []
    send_at = min(now, datetime.now(UTC))  # re-sent at once, even when asked about a later time
    new_pushes: list[dict[str, Any]] = []
    for r in rows:
        r["escalations"] += 1
        more = r["escalations"] < settings.max_escalations
        r["escalate_at"] = now + objective(settings, Precedence(r["precedence"])) if more else None
        conn.execute(
            update(deliveries)
            .where(deliveries.c.id == r["id"])
            .values(escalations=r["escalations"], escalate_at=r["escalate_at"])
        )
        new_pushes.extend(
            push_row(r["id"], eid, r["member_code"], r["precedence_rank"], send_at)
            for eid in hooks.get(r["member_code"], ())
        )
        events.append(audit.AuditEvent.of("delivery.escalate", "delivery", r["id"], delivery_snapshot(r)))
    if new_pushes:
        conn.execute(pushes.insert(), new_pushes)
    audit.append(conn, dialect, ACTOR, events, at=now)
    return len(rows)
