"""Delivery status for those entitled to it: the chair's board, a member's dead letters, re-sending,
and the originator's view of who received and acknowledged its reports.

None of these shows an item's content: the board lists deliveries, never titles or bodies.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, or_, select, update

from markaz.centre import Centre
from markaz.dissemination.content import delivery_public
from markaz.dissemination.cursors import CursorCodec
from markaz.dissemination.outbox import push_row
from markaz.domain.enums import Role
from markaz.errors import Forbidden, InvalidInput, NotFound
from markaz.storage import audit
from markaz.storage import reports as store
from markaz.storage.canonical import iso
from markaz.storage.dissemination import delivery_snapshot
from markaz.storage.principals import Principal
from markaz.storage.schema import report_access
from markaz.storage.schema_dissemination import deliveries, endpoints, pushes

BOARD_ROLES = frozenset({Role.MEMBER_ADMIN, Role.CENTRE_ADMIN})
BOARD_STATES = ("queued", "received", "acknowledged", "overdue", "dead")


def holds_chair(centre: Centre, principal: Principal) -> bool:
    from markaz.governance import chair

    if principal.role not in BOARD_ROLES:
        return False
    try:
        return chair.current(centre).member == principal.member
    except NotFound:
        return False


def _scope(centre: Centre, principal: Principal, member: str | None) -> str | None:
    """The member whose deliveries the caller may see, or None for all (the chair)."""
    if holds_chair(centre, principal):
        return member
    if principal.role not in BOARD_ROLES:
        raise Forbidden("delivery status is for the member's admins and the chair")
    if member is not None and member != principal.member:
        raise Forbidden("only the chair sees other members' deliveries")
    return principal.member


_dead = exists().where(pushes.c.delivery_id == deliveries.c.id, pushes.c.state == "dead")


def board(
    centre: Centre,
    principal: Principal,
    *,
    member: str | None = None,
    state: str | None = None,
    limit: int,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Deliveries newest first with recipient, precedence, state, times, overdue and push attempts."""
    scope = _scope(centre, principal, member)
    codec = CursorCodec(centre.settings.secret_key, "board")
    now = datetime.now(UTC)
    query = select(deliveries)
    if scope is not None:
        query = query.where(deliveries.c.member_code == scope)
    if state is not None:
        if state not in BOARD_STATES:
            raise InvalidInput(f"state: one of {', '.join(BOARD_STATES)}", field="state")
        unacked = deliveries.c.acknowledged_at.is_(None)
        query = query.where(
            {
                "queued": and_(unacked, deliveries.c.received_at.is_(None)),
                "received": and_(unacked, deliveries.c.received_at.is_not(None)),
                "acknowledged": deliveries.c.acknowledged_at.is_not(None),
                "overdue": and_(unacked, deliveries.c.due_at < now),
                "dead": _dead,
            }[state]
        )
    if cursor:
        at = codec.decode(cursor)
        try:
            created, last = datetime.fromisoformat(at["t"]), str(at["i"])
        except (KeyError, TypeError, ValueError):
            raise InvalidInput("cursor is not valid: pass next_cursor unchanged", field="cursor") from None
        query = query.where(
            or_(
                deliveries.c.created_at < created,
                and_(deliveries.c.created_at == created, deliveries.c.id < last),
            )
        )
    query = query.order_by(deliveries.c.created_at.desc(), deliveries.c.id.desc()).limit(limit + 1)
    with centre.db.read() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
        more = len(rows) > limit
        rows = rows[:limit]
        attempts = _attempts(conn, [r["id"] for r in rows])
        # Releasability holds on the board too: the chair sees every delivery's status, but the
        # id of an item its own member may not read is withheld (the same access rows as every read).
        refs = sorted({r["ref"] for r in rows})
        readable = set(
            conn.execute(
                select(report_access.c.report_id).where(
                    report_access.c.member_code == principal.member, report_access.c.report_id.in_(refs)
                )
            ).scalars()
        )
    items = []
    for r in rows:
        item = {**delivery_public(r, now), "pushes": attempts.get(r["id"], [])}
        if r["ref"] not in readable and r["member_code"] != principal.member:
            item["report_id"] = None
        items.append(item)
    for item in items:
        if any(p["state"] == "dead" for p in item["pushes"]):
            item["dead_letter"] = True
        else:
            item["dead_letter"] = False
    next_cursor = (
        codec.encode({"t": rows[-1]["created_at"].isoformat(), "i": rows[-1]["id"]})
        if more and rows
        else None
    )
    return {"items": items, "next_cursor": next_cursor}


def _attempts(conn: Connection, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    if not ids:
        return found
    query = (
        select(pushes, endpoints.c.url)
        .join(endpoints, endpoints.c.id == pushes.c.endpoint_id)
        .where(pushes.c.delivery_id.in_(ids))
        .order_by(pushes.c.id)
    )
    for p in conn.execute(query).mappings():
        found.setdefault(p["delivery_id"], []).append(
            {
                "endpoint_id": p["endpoint_id"],
                "url": p["url"],
                "state": p["state"],
                "attempts": p["attempts"],
                "next_attempt_at": iso(p["next_attempt_at"]) if p["state"] == "pending" else None,
                "done_at": iso(p["done_at"]),
                "last_status": p["last_status"],
                "last_error": p["last_error"],
            }
        )
    return found


def resend(centre: Centre, principal: Principal, delivery_id: str) -> dict[str, Any]:
    """Send a delivery again to every active endpoint of its recipient (dead letters included)."""
    db = centre.db
    now = datetime.now(UTC)
    chair = holds_chair(centre, principal)
    with db.write() as conn:
        found = conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)).mappings().first()
        row = dict(found) if found is not None else None
        if row is None or (not chair and row["member_code"] != principal.member):
            raise NotFound(f"there is no delivery {delivery_id}")
        if not chair and principal.role not in BOARD_ROLES:
            raise Forbidden("only the member's admins and the chair re-send deliveries")
        hooks = list(
            conn.execute(
                select(endpoints.c.id).where(
                    endpoints.c.member_code == row["member_code"], endpoints.c.status == "active"
                )
            ).scalars()
        )
        if not hooks:
            raise InvalidInput(
                f"member {row['member_code']} has no active endpoint to send to; it reads its inbox instead"
            )
        row["resends"] += 1
        conn.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(resends=row["resends"]))
        # Dead and finished pushes stay on record; the re-send is a fresh push per endpoint.
        conn.execute(
            update(pushes)
            .where(pushes.c.delivery_id == delivery_id, pushes.c.state == "dead")
            .values(state="resent")
        )
        conn.execute(
            pushes.insert(),
            [push_row(delivery_id, eid, row["member_code"], row["precedence_rank"], now) for eid in hooks],
        )
        audit.append(
            conn,
            db.dialect,
            principal.username,
            [audit.AuditEvent.of("delivery.resend", "delivery", delivery_id, delivery_snapshot(row))],
            at=now,
        )
    return delivery_public(row, now)


def receipts(centre: Centre, principal: Principal, report_id: str) -> dict[str, Any]:
    """For the originator only: which members received and acknowledged its report, and when.

    Only deliveries are listed; members the report was withheld from never appear.
    """
    with centre.db.read() as conn:
        row = store.get_report_row(conn, principal.member, report_id)
        if row is None or row["originator"] != principal.member:
            raise NotFound(f"there is no report {report_id}")
        rows = conn.execute(
            select(deliveries)
            .where(deliveries.c.ref == report_id)
            .order_by(deliveries.c.created_at, deliveries.c.member_code)
        ).mappings()
        items = [
            {
                "delivery_id": r["id"],
                "recipient": r["member_code"],
                "event": r["event"],
                "precedence": r["precedence"],
                "created_at": iso(r["created_at"]),
                "received_at": iso(r["received_at"]),
                "acknowledged_at": iso(r["acknowledged_at"]),
            }
            for r in rows
        ]
    return {"report_id": report_id, "deliveries": items}
