"""The durable outbox fanned out: each queued row becomes one delivery per recipient, by precedence then age.

Rows are written in the accepting transaction by `markaz.storage.outbox` (`enqueue`, and
`enqueue_reports` on the ingest path); the worker calls `fan_out` after the commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update
from ulid import ULID

from markaz.dissemination.areas import Interest
from markaz.domain.enums import MemberStatus, Precedence
from markaz.settings import Settings
from markaz.storage.dialects import StorageDialect
from markaz.storage.in_list import one_of
from markaz.storage.outbox import EXPLICIT_EVENTS
from markaz.storage.outbox import enqueue as enqueue  # the way in, also importable from here
from markaz.storage.schema import members, observations, report_access, reports
from markaz.storage.schema_dissemination import deliveries, endpoints, outbox, pushes, subscriptions


def objective(settings: Settings, precedence: Precedence) -> timedelta:
    minutes = {
        Precedence.FLASH: settings.objective_flash_minutes,
        Precedence.IMMEDIATE: settings.objective_immediate_minutes,
        Precedence.PRIORITY: settings.objective_priority_minutes,
        Precedence.ROUTINE: settings.objective_routine_minutes,
    }[precedence]
    return timedelta(minutes=minutes)


@dataclass
class FanOut:
    deliveries: int = 0
    pushes: int = 0
    min_rank: int | None = None
    rows: int = 0


_PRECEDENCES = list(Precedence)


def _recipients(
    conn: Connection, row: Mapping[str, Any], refs: Sequence[str], active: set[str]
) -> dict[str, set[str]]:
    """Who receives each ref of this outbox row (before subscriptions)."""
    access: dict[str, set[str]] = {ref: set() for ref in refs}
    for rid, code in conn.execute(
        select(report_access.c.report_id, report_access.c.member_code).where(
            one_of(report_access.c.report_id, refs)
        )
    ):
        access[rid].add(code)
    info = {
        r.id: r
        for r in conn.execute(
            select(reports.c.id, reports.c.originator, reports.c.supersedes).where(one_of(reports.c.id, refs))
        )
    }
    out: dict[str, set[str]] = {}
    event = row["event"]
    for ref in refs:
        report = info.get(ref)
        if event in EXPLICIT_EVENTS:
            chosen = set(row["recipients"] or ()) & active
            out[ref] = chosen & access[ref] if report is not None else chosen
            continue
        if report is None:
            out[ref] = set()
            continue
        released = (access[ref] - {report.originator}) & active
        if event == "retraction":
            # Everyone who received the original, and nobody else.
            out[ref] = released & _received(conn, [ref])
        else:
            out[ref] = released
    return out


def _received(conn: Connection, refs: Sequence[str]) -> set[str]:
    return set(
        conn.execute(
            select(deliveries.c.member_code).where(
                deliveries.c.ref.in_(refs), deliveries.c.event.in_(("report", "correction"))
            )
        ).scalars()
    )


def _interested(
    conn: Connection, event: str, refs: Sequence[str], rank: int, wanted: dict[str, set[str]]
) -> None:
    """Apply subscriptions to PRIORITY and ROUTINE reports (in place); FLASH/IMMEDIATE go to all."""
    if rank < Precedence.PRIORITY.rank or event not in ("report", "correction"):
        return
    candidates = set().union(*wanted.values()) if wanted else set()
    if not candidates:
        return
    interests: dict[str, list[Interest]] = {}
    for s in conn.execute(
        select(subscriptions).where(one_of(subscriptions.c.member_code, candidates))
    ).mappings():
        interests.setdefault(s["member_code"], []).append(Interest.of(dict(s)))
    if not interests:
        return
    obs: dict[str, list[dict[str, Any]]] = {ref: [] for ref in refs}
    for o in conn.execute(select(observations).where(observations.c.report_id.in_(refs))).mappings():
        obs[o["report_id"]].append(dict(o))
    supersedes = {
        r.id: r.supersedes
        for r in conn.execute(select(reports.c.id, reports.c.supersedes).where(reports.c.id.in_(refs)))
    }
    for ref, members_ in wanted.items():
        # A correction always reaches whoever received the original, whatever it now says.
        kept = _received(conn, [supersedes[ref]]) if supersedes.get(ref) else set()
        for code in list(members_):
            if (
                code in interests
                and code not in kept
                and not any(i.matches(rank, obs[ref]) for i in interests[code])
            ):
                members_.discard(code)


def fan_out(
    conn: Connection,
    dialect: StorageDialect,
    settings: Settings,
    *,
    budget: int = 250,
    max_rank: int = 3,
    now: datetime | None = None,
) -> FanOut:
    """Turn queued outbox rows into deliveries and pushes, most urgent first, about `budget` at a time.

    `max_rank` 1 takes only FLASH and IMMEDIATE rows (the worker's urgent lane).
    """
    now = now or datetime.now(UTC)
    query = (
        select(outbox)
        .where(outbox.c.state == "queued", outbox.c.precedence_rank <= max_rank)
        .order_by(outbox.c.precedence_rank, outbox.c.id)
        .limit(4)
    )
    if dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = [dict(r) for r in conn.execute(query).mappings()]
    result = FanOut()
    if not rows:
        return result
    active = {
        c for c, s in conn.execute(select(members.c.code, members.c.status)) if s == MemberStatus.ACTIVE.value
    }
    hooks: dict[str, list[int]] = {}
    for eid, code in conn.execute(
        select(endpoints.c.id, endpoints.c.member_code).where(endpoints.c.status == "active")
    ):
        hooks.setdefault(code, []).append(eid)
    per_ref = max(1, len(active))
    delivery_rows: list[dict[str, Any]] = []
    push_rows: list[dict[str, Any]] = []
    for row in rows:
        if len(delivery_rows) >= budget:
            break
        rank = row["precedence_rank"]
        precedence = _PRECEDENCES[rank]
        due = now + objective(settings, precedence)
        rest = list(row["refs"])
        # Slices sized by the recipients per item seen so far (at first: every active member).
        while rest and len(delivery_rows) < budget:
            take = max(1, (budget - len(delivery_rows)) // per_ref)
            refs, rest = rest[:take], rest[take:]
            wanted = _recipients(conn, row, refs, active)
            _interested(conn, row["event"], refs, rank, wanted)
            per_ref = max(1, -(-sum(len(w) for w in wanted.values()) // len(refs)))
            for ref in refs:
                for code in sorted(wanted[ref]):
                    delivery_id = str(ULID.from_datetime(now))
                    delivery_rows.append(
                        {
                            "id": delivery_id,
                            "member_code": code,
                            "ref": ref,
                            "outbox_id": row["id"],
                            "event": row["event"],
                            "precedence": precedence.value,
                            "precedence_rank": rank,
                            "created_at": now,
                            "due_at": due,
                            "received_at": None,
                            "received_via": None,
                            "acknowledged_at": None,
                            "acknowledged_by": None,
                            "escalations": 0,
                            "escalate_at": due,
                            "resends": 0,
                        }
                    )
                    push_rows.extend(
                        push_row(delivery_id, eid, code, rank, now) for eid in hooks.get(code, ())
                    )
        values: dict[str, Any] = {"refs": rest} if rest else {"state": "done"}
        conn.execute(update(outbox).where(outbox.c.id == row["id"]).values(**values))
        result.rows += 1
        result.min_rank = rank if result.min_rank is None else min(result.min_rank, rank)
    if delivery_rows:
        conn.execute(deliveries.insert(), delivery_rows)
    if push_rows:
        conn.execute(pushes.insert(), push_rows)
    result.deliveries = len(delivery_rows)
    result.pushes = len(push_rows)
    return result


def push_row(delivery_id: str, endpoint_id: int, member: str, rank: int, now: datetime) -> dict[str, Any]:
    return {
        "delivery_id": delivery_id,
        "endpoint_id": endpoint_id,
        "member_code": member,
        "precedence_rank": rank,
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "claimed_at": None,
        "done_at": None,
        "last_status": None,
        "last_error": None,
    }
