"""The durable job queue: claimed by priority then age, leased, retried, never lost."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, or_, select, update

from markaz.storage.dialects import StorageDialect
from markaz.storage.in_list import one_of
from markaz.storage.schema import jobs

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5


def claim(
    conn: Connection, dialect: StorageDialect, kinds: Sequence[str], limit: int, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Claim up to `limit` jobs: queued ones, and running ones whose worker's lease ran out."""
    now = now or datetime.now(UTC)
    query = (
        select(jobs.c.id)
        .where(
            jobs.c.kind.in_(kinds),
            or_(jobs.c.state == "queued", (jobs.c.state == "running") & (jobs.c.claimed_at < now - LEASE)),
        )
        .order_by(jobs.c.priority, jobs.c.id)
        .limit(limit)
    )
    if dialect.name == "postgresql":
        # Several workers: each skips rows another has locked instead of waiting for them.
        query = query.with_for_update(skip_locked=True)
    ids = list(conn.execute(query).scalars())
    if not ids:
        return []
    conn.execute(
        update(jobs)
        .where(one_of(jobs.c.id, ids))
        .values(state="running", claimed_at=now, attempts=jobs.c.attempts + 1)
    )
    return [
        dict(r)
        for r in conn.execute(
            select(jobs).where(one_of(jobs.c.id, ids)).order_by(jobs.c.priority, jobs.c.id)
        ).mappings()
    ]


def complete(conn: Connection, job_id: int) -> None:
    conn.execute(update(jobs).where(jobs.c.id == job_id).values(state="done", last_error=None))


def fail(conn: Connection, job: dict[str, Any], error: str) -> None:
    state = "failed" if job["attempts"] >= MAX_ATTEMPTS else "queued"
    conn.execute(update(jobs).where(jobs.c.id == job["id"]).values(state=state, last_error=error[:2000]))
