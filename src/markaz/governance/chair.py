"""The rotating chair: set up, served terms kept as a record, the current chair derived from the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, select, update

from markaz.centre import Centre
from markaz.domain.enums import MemberStatus, Role
from markaz.errors import Conflict, Forbidden, InvalidInput, NotFound
from markaz.governance.terms import ChairTerm, check_term_months, next_terms
from markaz.storage import audit
from markaz.storage.canonical import chair_term_snapshot, rotation_snapshot
from markaz.storage.dialects import StorageDialect
from markaz.storage.members import list_members
from markaz.storage.principals import Principal
from markaz.storage.schema import chair_rotation, chair_terms

CHAIR_ROLES = frozenset({Role.MEMBER_ADMIN, Role.CENTRE_ADMIN})


def _term_snapshot(term: ChairTerm, closed_early: bool) -> dict[str, Any]:
    return chair_term_snapshot(
        {
            "member_code": term.member,
            "starts_on": term.starts_on,
            "ends_on": term.ends_on,
            "closed_early": closed_early,
        }
    )


def setup(
    conn: Connection, dialect: StorageDialect, *, first_chair: str, starts_on: date, months: int, actor: str
) -> None:
    try:
        check_term_months(months)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="term_months") from None
    if conn.execute(select(chair_rotation.c.id)).first():
        raise Conflict("the chair rotation is already set up")
    codes = {m["code"] for m in list_members(conn)}
    if first_chair not in codes:
        raise InvalidInput(f"there is no member {first_chair}", field="first_chair")
    row = {"id": 1, "first_chair": first_chair, "starts_on": starts_on, "term_months": months}
    conn.execute(chair_rotation.insert().values(**row))
    audit.append(
        conn, dialect, actor, [audit.AuditEvent.of("chair.setup", "rotation", "1", rotation_snapshot(row))]
    )


def _rotation(conn: Connection) -> dict[str, Any]:
    row = conn.execute(select(chair_rotation)).mappings().first()
    if row is None:
        raise NotFound("the chair rotation has not been set up (markaz chair setup)")
    return dict(row)


def _stored(conn: Connection) -> list[ChairTerm]:
    return [
        ChairTerm(r.member_code, r.starts_on, r.ends_on)
        for r in conn.execute(select(chair_terms).order_by(chair_terms.c.starts_on))
    ]


def _upcoming(
    conn: Connection, stored: list[ChairTerm], until: date, after_member: str | None = None
) -> list[ChairTerm]:
    rotation = _rotation(conn)
    members = list_members(conn)
    order = [m["code"] for m in members]  # founding order: a new member enters at the end
    joined = {m["code"]: m["joined_at"].date() for m in members}
    active = {m["code"] for m in members if m["status"] == MemberStatus.ACTIVE.value}
    start = stored[-1].ends_on + timedelta(days=1) if stored else rotation["starts_on"]
    after = after_member or (stored[-1].member if stored else None)
    try:
        return next_terms(
            order,
            after,
            rotation["first_chair"],
            start,
            until,
            rotation["term_months"],
            lambda member, on: member in active and joined[member] <= on,
        )
    except ValueError as exc:
        raise Conflict(str(exc)) from None


def _record_begun(
    conn: Connection, dialect: StorageDialect, today: date, actor: str, after_member: str | None = None
) -> list[ChairTerm]:
    """Store (and audit) every term that has begun by `today`: they become the record."""
    stored = _stored(conn)
    begun = [t for t in _upcoming(conn, stored, today, after_member) if t.starts_on <= today]
    if begun:
        conn.execute(
            chair_terms.insert(),
            [
                {
                    "starts_on": t.starts_on,
                    "member_code": t.member,
                    "ends_on": t.ends_on,
                    "closed_early": False,
                }
                for t in begun
            ],
        )
        events = [
            audit.AuditEvent.of("chair.term", "chair_term", t.starts_on.isoformat(), _term_snapshot(t, False))
            for t in begun
        ]
        audit.append(conn, dialect, actor, events)
    return stored + begun


def schedule(centre: Centre, *, since: date, until: date, today: date | None = None) -> list[ChairTerm]:
    """Terms that overlap since..until: the record up to today, then the rotation as it stands."""
    if until < since:
        raise InvalidInput("the end of the period is before its start", field="to")
    if (until - since).days > 366 * 20:
        raise InvalidInput("ask for at most twenty years at a time", field="to")
    today = today or datetime.now(UTC).date()
    with centre.db.write() as conn:
        record = _record_begun(conn, centre.db.dialect, today, "clock")
        terms = record + _upcoming(conn, record, until)
    return [t for t in terms if t.ends_on >= since and t.starts_on <= until]


def current(centre: Centre, today: date | None = None) -> ChairTerm:
    today = today or datetime.now(UTC).date()
    for term in schedule(centre, since=today, until=today, today=today):
        if term.starts_on <= today <= term.ends_on:
            return term
    raise NotFound("no member chairs the centre today")


def handover(centre: Centre, principal: Principal, today: date | None = None) -> ChairTerm:
    """The chair steps down: its term closes, the next member's full term starts today."""
    if principal.role not in CHAIR_ROLES:
        raise Forbidden("only a member_admin or centre_admin of the chair may hand over the chair")
    today = today or datetime.now(UTC).date()
    db = centre.db
    with db.write() as conn:
        new = close_term_of(conn, db.dialect, principal.member, today, principal.username)
        if new is None:
            raise Forbidden(f"member {principal.member} does not hold the chair today")
    return new


def close_term_of(
    conn: Connection, dialect: StorageDialect, member: str, today: date, actor: str
) -> ChairTerm | None:
    """If `member` chairs today, close its term and start the next member's; else do nothing."""
    if conn.execute(select(chair_rotation.c.id)).first() is None:
        return None
    record = _record_begun(conn, dialect, today, actor)
    term = next((t for t in record if t.starts_on <= today <= t.ends_on), None)
    if term is None or term.member != member:
        return None
    if term.starts_on == today:
        # A term handed over on its first day is not served at all.
        conn.execute(delete(chair_terms).where(chair_terms.c.starts_on == term.starts_on))
        snap = _term_snapshot(term, True)
        event = audit.AuditEvent.of("chair_term.removed", "chair_term", term.starts_on.isoformat(), snap)
    else:
        closed = ChairTerm(term.member, term.starts_on, today - timedelta(days=1))
        conn.execute(
            update(chair_terms)
            .where(chair_terms.c.starts_on == term.starts_on)
            .values(ends_on=closed.ends_on, closed_early=True)
        )
        snap = _term_snapshot(closed, True)
        event = audit.AuditEvent.of("chair.handover", "chair_term", term.starts_on.isoformat(), snap)
    audit.append(conn, dialect, actor, [event])
    # The next member's full term begins today (the record continues after the closed term).
    _record_begun(conn, dialect, today, actor, after_member=term.member)
    return next(t for t in _stored(conn) if t.starts_on == today)


def term_public(term: ChairTerm) -> dict[str, Any]:
    return {
        "member": term.member,
        "starts_on": term.starts_on.isoformat(),
        "ends_on": term.ends_on.isoformat(),
    }
