"""Stored members of the centre."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from markaz.domain.enums import MemberStatus
from markaz.errors import Conflict, NotFound
from markaz.storage import audit
from markaz.storage.canonical import member_snapshot
from markaz.storage.dialects import StorageDialect
from markaz.storage.schema import members


def add_member(
    conn: Connection,
    dialect: StorageDialect,
    *,
    code: str,
    names: Mapping[str, str],
    actor: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    if conn.execute(select(members.c.code).where(members.c.code == code)).first():
        raise Conflict(f"member {code} already exists", field="code")
    order = conn.execute(select(func.coalesce(func.max(members.c.founding_order), 0))).scalar_one()
    row = {
        "code": code,
        "names": dict(names),
        "status": MemberStatus.ACTIVE.value,
        "joined_at": now or datetime.now(UTC),
        "founding_order": int(order) + 1,
    }
    conn.execute(members.insert().values(**row))
    audit.append(
        conn, dialect, actor, [audit.AuditEvent.of("member.add", "member", code, member_snapshot(row))]
    )
    return row


def set_member_status(
    conn: Connection, dialect: StorageDialect, code: str, status: MemberStatus, *, actor: str
) -> dict[str, Any]:
    row = get_member(conn, code)
    conn.execute(update(members).where(members.c.code == code).values(status=status.value))
    row = {**row, "status": status.value}
    audit.append(
        conn,
        dialect,
        actor,
        [audit.AuditEvent.of(f"member.{status.value}", "member", code, member_snapshot(row))],
    )
    return row


def get_member(conn: Connection, code: str) -> dict[str, Any]:
    row = conn.execute(select(members).where(members.c.code == code)).mappings().first()
    if row is None:
        raise NotFound(f"there is no member {code}", field="code")
    return dict(row)


def list_members(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(members).order_by(members.c.founding_order)).mappings()]


def member_codes(conn: Connection) -> tuple[set[str], set[str]]:
    """(known codes, active codes)."""
    known: set[str] = set()
    active: set[str] = set()
    for code, status in conn.execute(select(members.c.code, members.c.status)):
        known.add(code)
        if status == MemberStatus.ACTIVE.value:
            active.add(code)
    return known, active
