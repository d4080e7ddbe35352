"""The live stream's reading side: deliveries after a position, read from the database.

Every API process reads the same deliveries table, so a stream works whichever process serves
it. On PostgreSQL several workers commit concurrently, so a delivery may become visible
slightly after a later-stamped one: the stream looks back `margin` and skips what it sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import and_, or_, select

from markaz.centre import Centre
from markaz.dissemination.inbox import mark_received, with_content
from markaz.domain.enums import MemberStatus
from markaz.errors import Forbidden, InvalidInput
from markaz.storage.principals import Principal
from markaz.storage.schema import members
from markaz.storage.schema_dissemination import deliveries

BATCH = 200


@dataclass
class Position:
    """Where a stream stands: after (created_at, id), with the ids it sent inside the margin."""

    created_at: datetime
    id: str
    margin: timedelta
    sent: dict[str, datetime] = field(default_factory=dict)


def start(centre: Centre, principal: Principal, last_event_id: str | None) -> Position:
    """From a Last-Event-ID (one of the member's deliveries), or from now for a new stream."""
    margin = timedelta(seconds=2) if centre.db.dialect.name == "postgresql" else timedelta(0)
    if not last_event_id:
        position = Position(datetime.now(UTC) - margin, "", margin)
        if margin:
            # What is already committed inside the look-back window came before this stream.
            with centre.db.read() as conn:
                for row in conn.execute(
                    select(deliveries.c.id, deliveries.c.created_at).where(
                        deliveries.c.member_code == principal.member,
                        deliveries.c.created_at > position.created_at,
                    )
                ):
                    position.sent[row.id] = row.created_at
        return position
    with centre.db.read() as conn:
        found = conn.execute(
            select(deliveries.c.created_at, deliveries.c.id).where(
                deliveries.c.id == last_event_id, deliveries.c.member_code == principal.member
            )
        ).first()
    if found is None:
        raise InvalidInput(
            "Last-Event-ID does not name one of your deliveries; reconnect without it", field="Last-Event-ID"
        )
    last_at: datetime = found.created_at
    position = Position(last_at, str(found.id), margin)
    position.sent[position.id] = last_at
    if margin:
        # Inside the look-back window, what came before the last event and was already received
        # (by this stream or another channel) is not repeated; what committed late still comes.
        with centre.db.read() as conn:
            for earlier in conn.execute(
                select(deliveries.c.id, deliveries.c.created_at).where(
                    deliveries.c.member_code == principal.member,
                    deliveries.c.created_at > last_at - margin,
                    deliveries.c.created_at <= last_at,
                    deliveries.c.received_at.is_not(None),
                )
            ):
                position.sent[earlier.id] = earlier.created_at
    return position


def read(centre: Centre, principal: Principal, position: Position) -> list[dict[str, Any]]:
    """The next deliveries for the member, oldest first; advances `position`; records receipt."""
    floor = position.created_at - position.margin
    query = (
        select(deliveries)
        .where(deliveries.c.member_code == principal.member)
        .where(
            or_(
                deliveries.c.created_at > floor,
                and_(deliveries.c.created_at == floor, deliveries.c.id > position.id),
            )
        )
        .order_by(deliveries.c.created_at, deliveries.c.id)
        .limit(BATCH + len(position.sent))
    )
    now = datetime.now(UTC)
    with centre.db.read() as conn:
        # A member suspended while its stream is open receives nothing more.
        status = conn.execute(select(members.c.status).where(members.c.code == principal.member)).scalar()
        if status != MemberStatus.ACTIVE.value:
            raise Forbidden(f"member {principal.member} is {status}; its access is stopped")
        rows = [dict(r) for r in conn.execute(query).mappings() if r["id"] not in position.sent]
    rows = rows[:BATCH]
    if not rows:
        return []
    if any(r["received_at"] is None for r in rows):
        with centre.db.write() as conn:
            mark_received(conn, rows, "stream", now)
    with centre.db.read() as conn:
        items = with_content(conn, principal.member, rows, now)
    last = rows[-1]
    if (last["created_at"], last["id"]) > (position.created_at, position.id):
        position.created_at, position.id = last["created_at"], last["id"]
    for r in rows:
        position.sent[r["id"]] = r["created_at"]
    cutoff = position.created_at - position.margin
    position.sent = {k: v for k, v in position.sent.items() if v >= cutoff}
    return items


def event_text(item: dict[str, Any]) -> bytes:
    """One Server-Sent Event: id is the delivery id, event its kind, data the delivery as JSON."""
    head = f"id: {item['delivery_id']}\nevent: {item['event']}\ndata: ".encode()
    return head + orjson.dumps(item) + b"\n\n"
