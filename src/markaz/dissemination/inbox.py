"""A member's inbox: its deliveries by precedence then time, receipt on pull, acknowledgement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, or_, select, update

from markaz.centre import Centre
from markaz.dissemination.content import delivery_public, items_for
from markaz.dissemination.cursors import CursorCodec
from markaz.domain.enums import Role
from markaz.errors import Forbidden, InvalidInput, NotFound
from markaz.storage import audit
from markaz.storage.dissemination import delivery_snapshot, member_row
from markaz.storage.principals import Principal
from markaz.storage.schema_dissemination import deliveries

STATES = ("unacknowledged", "acknowledged", "overdue")
ACK_ROLES = frozenset({Role.ANALYST, Role.MEMBER_ADMIN, Role.CENTRE_ADMIN})


def _state_filter(query: Any, state: str | None, now: datetime) -> Any:
    if state is None:
        return query
    if state not in STATES:
        raise InvalidInput(f"state: one of {', '.join(STATES)}", field="state")
    if state == "acknowledged":
        return query.where(deliveries.c.acknowledged_at.is_not(None))
    query = query.where(deliveries.c.acknowledged_at.is_(None))
    if state == "overdue":
        query = query.where(deliveries.c.due_at < now)
    return query


def mark_received(conn: Connection, rows: Sequence[dict[str, Any]], via: str, now: datetime) -> None:
    """A pull is receipt: record it on deliveries no channel had confirmed yet."""
    fresh = [r["id"] for r in rows if r["received_at"] is None]
    if not fresh:
        return
    conn.execute(
        update(deliveries)
        .where(deliveries.c.id.in_(fresh), deliveries.c.received_at.is_(None))
        .values(received_at=now, received_via=via)
    )
    for r in rows:
        if r["received_at"] is None:
            r["received_at"], r["received_via"] = now, via


def with_content(
    conn: Connection, member: str, rows: Sequence[dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    shown = items_for(conn, member, rows)
    return [{**delivery_public(r, now), "report": shown[r["id"]]} for r in rows if shown[r["id"]] is not None]


def inbox(
    centre: Centre, principal: Principal, *, limit: int, cursor: str | None = None, state: str | None = None
) -> dict[str, Any]:
    """The member's deliveries, most urgent first and newest first within a precedence."""
    codec = CursorCodec(centre.settings.secret_key, "inbox")
    now = datetime.now(UTC)
    query = select(deliveries).where(deliveries.c.member_code == principal.member)
    query = _state_filter(query, state, now)
    if cursor:
        at = codec.decode(cursor)
        try:
            rank, created, last = int(at["r"]), datetime.fromisoformat(at["t"]), str(at["i"])
        except (KeyError, TypeError, ValueError):
            raise InvalidInput("cursor is not valid: pass next_cursor unchanged", field="cursor") from None
        query = query.where(
            or_(
                deliveries.c.precedence_rank > rank,
                and_(
                    deliveries.c.precedence_rank == rank,
                    or_(
                        deliveries.c.created_at < created,
                        and_(deliveries.c.created_at == created, deliveries.c.id < last),
                    ),
                ),
            )
        )
    query = query.order_by(
        deliveries.c.precedence_rank, deliveries.c.created_at.desc(), deliveries.c.id.desc()
    )
    with centre.db.read() as conn:
        rows = [dict(r) for r in conn.execute(query.limit(limit + 1)).mappings()]
    more = len(rows) > limit
    rows = rows[:limit]
    if any(r["received_at"] is None for r in rows):
        with centre.db.write() as conn:
            mark_received(conn, rows, "inbox", now)
    with centre.db.read() as conn:
        items = with_content(conn, principal.member, rows, now)
    next_cursor = None
    if more and rows:
        last_row = rows[-1]
        next_cursor = codec.encode(
            {"r": last_row["precedence_rank"], "t": last_row["created_at"].isoformat(), "i": last_row["id"]}
        )
    return {"items": items, "next_cursor": next_cursor}


def get_delivery(centre: Centre, principal: Principal, delivery_id: str) -> dict[str, Any]:
    """One of the member's own deliveries with its content; anyone else's answers 404."""
    now = datetime.now(UTC)
    with centre.db.read() as conn:
        row = _own(conn, principal, delivery_id)
        items = with_content(conn, principal.member, [row], now)
    if not items:
        raise NotFound(f"there is no delivery {delivery_id}")
    return items[0]


def _own(conn: Connection, principal: Principal, delivery_id: str) -> dict[str, Any]:
    row = member_row(conn, deliveries, delivery_id, principal.member)
    if row is None:
        raise NotFound(f"there is no delivery {delivery_id}")
    return dict(row)


def acknowledge(centre: Centre, principal: Principal, delivery_id: str) -> dict[str, Any]:
    """A person or system of the recipient confirms the delivery; the first acknowledgement stands."""
    db = centre.db
    now = datetime.now(UTC)
    with db.write() as conn:
        row = _own(conn, principal, delivery_id)
        if principal.role not in ACK_ROLES:
            raise Forbidden(f"the role {principal.role.value} may read but not acknowledge deliveries")
        if row["acknowledged_at"] is None:
            row.update(acknowledged_at=now, acknowledged_by=principal.username, escalate_at=None)
            if row["received_at"] is None:
                row.update(received_at=now, received_via="ack")
            conn.execute(
                update(deliveries)
                .where(deliveries.c.id == bindparam("d_id"))
                .values(
                    acknowledged_at=bindparam("d_at"),
                    acknowledged_by=bindparam("d_by"),
                    escalate_at=None,
                    received_at=bindparam("d_recv"),
                    received_via=bindparam("d_via"),
                ),
                {
                    "d_id": delivery_id,
                    "d_at": now,
                    "d_by": principal.username,
                    "d_recv": row["received_at"],
                    "d_via": row["received_via"],
                },
            )
            audit.append(
                conn,
                db.dialect,
                principal.username,
                [audit.AuditEvent.of("delivery.ack", "delivery", delivery_id, delivery_snapshot(row))],
                at=now,
            )
    return delivery_public(row, now)
