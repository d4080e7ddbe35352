"""Webhook push: the signed request, claiming pushes by precedence then age, recording outcomes."""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import Connection, and_, bindparam, or_, select, update

from markaz.dissemination.content import items_for_recipients
from markaz.domain.enums import MemberStatus
from markaz.settings import Settings
from markaz.storage.dialects import StorageDialect
from markaz.storage.schema import members
from markaz.storage.schema_dissemination import deliveries, endpoints, pushes


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the endpoint's secret."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(delivery_id: str, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Markaz-Delivery": delivery_id,
        "X-Markaz-Timestamp": str(timestamp),
        "X-Markaz-Signature": signature(secret, timestamp, body),
    }


@dataclass(frozen=True)
class Push:
    """One claimed attempt to POST a delivery to one endpoint."""

    id: int
    delivery_id: str
    endpoint_id: int
    url: str
    secret: str
    rank: int
    attempts: int
    body: bytes | None  # None: the item may no longer be shown to this member


@dataclass(frozen=True)
class Outcome:
    push: Push
    ok: bool
    status: int | None
    error: str | None
    at: datetime


URGENT_RANK = 1  # FLASH and IMMEDIATE
URGENT_EXTRA = 2


def claim(
    conn: Connection,
    dialect: StorageDialect,
    *,
    free: Mapping[int, int],
    saturated: Collection[int],
    default_capacity: int,
    limit: int = 200,
    max_rank: int = 3,
    now: datetime | None = None,
) -> list[Push]:
    """Claim due pushes, most urgent first, at most the free capacity of each endpoint.

    `free` maps endpoint ids with requests in flight to their remaining capacity; endpoints in
    `saturated` are skipped in the query, so a slow endpoint's backlog never hides others' work.
    FLASH and IMMEDIATE may use `URGENT_EXTRA` more slots, so they never wait for a ROUTINE
    request in flight to finish.
    """
    now = now or datetime.now(UTC)
    query = (
        select(pushes.c.id, pushes.c.endpoint_id, pushes.c.precedence_rank)
        .join(endpoints, and_(endpoints.c.id == pushes.c.endpoint_id, endpoints.c.status == "active"))
        .join(
            members,
            and_(members.c.code == pushes.c.member_code, members.c.status == MemberStatus.ACTIVE.value),
        )
        .where(
            pushes.c.state == "pending", pushes.c.next_attempt_at <= now, pushes.c.precedence_rank <= max_rank
        )
        .order_by(pushes.c.precedence_rank, pushes.c.id)
        .limit(limit)
    )
    if saturated:
        query = query.where(
            or_(pushes.c.endpoint_id.not_in(list(saturated)), pushes.c.precedence_rank <= URGENT_RANK)
        )
    if dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=pushes)
    taken: list[int] = []
    room = dict(free)
    for push_id, endpoint_id, rank in conn.execute(query):
        left = room.get(endpoint_id, default_capacity)
        if left <= (-URGENT_EXTRA if rank <= URGENT_RANK else 0):
            continue
        room[endpoint_id] = left - 1
        taken.append(push_id)
    if not taken:
        return []
    conn.execute(
        update(pushes)
        .where(pushes.c.id.in_(taken))
        .values(state="sending", claimed_at=now, attempts=pushes.c.attempts + 1)
    )
    rows = [
        dict(r)
        for r in conn.execute(
            select(
                pushes.c.id.label("push_id"),
                pushes.c.attempts,
                pushes.c.endpoint_id,
                endpoints.c.url,
                endpoints.c.secret,
                deliveries,
            )
            .join(deliveries, deliveries.c.id == pushes.c.delivery_id)
            .join(endpoints, endpoints.c.id == pushes.c.endpoint_id)
            .where(pushes.c.id.in_(taken))
            .order_by(pushes.c.precedence_rank, pushes.c.id)
        ).mappings()
    ]
    shown = items_for_recipients(conn, rows)
    bodies: dict[int, bytes | None] = {}
    for r in rows:
        item = shown[r["id"]]
        bodies[r["push_id"]] = (
            None
            if item is None
            else orjson.dumps(
                {"delivery_id": r["id"], "precedence": r["precedence"], "event": r["event"], "report": item}
            )
        )
    return [
        Push(
            r["push_id"],
            r["id"],
            r["endpoint_id"],
            r["url"],
            r["secret"],
            r["precedence_rank"],
            r["attempts"],
            bodies[r["push_id"]],
        )
        for r in rows
    ]


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Exponential backoff with full jitter in its upper half: base * 2^(n-1), capped."""
    ceiling = min(
        settings.delivery_retry_max_seconds, settings.delivery_retry_base_seconds * 2 ** (attempts - 1)
    )
    return timedelta(seconds=ceiling * (0.5 + random.random() / 2))


def record(conn: Connection, settings: Settings, outcomes: Sequence[Outcome]) -> None:
    """Store what the endpoints answered: receipt, a retry later, or the dead-letter list."""
    done = [o for o in outcomes if o.ok]
    if done:
        conn.execute(
            update(pushes)
            .where(pushes.c.id == bindparam("p_id"))
            .values(
                state="done", done_at=bindparam("p_at"), last_status=bindparam("p_status"), last_error=None
            ),
            [{"p_id": o.push.id, "p_at": o.at, "p_status": o.status} for o in done],
        )
        conn.execute(
            update(deliveries)
            .where(deliveries.c.id == bindparam("d_id"), deliveries.c.received_at.is_(None))
            .values(received_at=bindparam("d_at"), received_via="webhook"),
            [{"d_id": o.push.delivery_id, "d_at": o.at} for o in done],
        )
    failed = [o for o in outcomes if not o.ok]
    if failed:
        rows = []
        for o in failed:
            dead = o.push.body is None or o.push.attempts >= settings.delivery_max_attempts
            rows.append(
                {
                    "p_id": o.push.id,
                    "p_state": "dead" if dead else "pending",
                    "p_next": o.at + backoff(settings, o.push.attempts),
                    "p_status": o.status,
                    "p_error": (o.error or "")[:2000],
                    "p_at": o.at if dead else None,
                }
            )
        conn.execute(
            update(pushes)
            .where(pushes.c.id == bindparam("p_id"))
            .values(
                state=bindparam("p_state"),
                next_attempt_at=bindparam("p_next"),
                last_status=bindparam("p_status"),
                last_error=bindparam("p_error"),
                done_at=bindparam("p_at"),
            ),
            rows,
        )


def expire_leases(conn: Connection, settings: Settings, now: datetime | None = None) -> int:
    """Pushes a worker claimed and never finished (it was killed) go back to the queue."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(seconds=settings.delivery_lease_seconds)
    result = conn.execute(
        update(pushes)
        .where(pushes.c.state == "sending", pushes.c.claimed_at < cutoff)
        .values(state="pending", next_attempt_at=now)
    )
    return int(result.rowcount or 0)
