"""Stored sharing circles and their members' consent."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update

from markaz.errors import Conflict, NotFound
from markaz.storage import audit
from markaz.storage.canonical import iso
from markaz.storage.dialects import StorageDialect
from markaz.storage.schema import circle_members, circles

PENDING = "pending"
ACTIVE = "active"


def circle_snapshot(row: Mapping[str, Any], members: list[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "name": row["name"],
        "description": row["description"],
        "created_by": row["created_by"],
        "created_at": iso(row["created_at"]),
        "status": row["status"],
        "members": sorted(
            ({"code": m["member_code"], "consented_at": iso(m["consented_at"])} for m in members),
            key=lambda m: str(m["code"]),
        ),
    }


def get_circle(conn: Connection, name: str) -> dict[str, Any]:
    row = conn.execute(select(circles).where(circles.c.name == name)).mappings().first()
    if row is None:
        raise NotFound(f"there is no circle {name!r}")
    out = dict(row)
    out["members"] = [
        dict(m)
        for m in conn.execute(
            select(circle_members)
            .where(circle_members.c.circle_name == name)
            .order_by(circle_members.c.member_code)
        ).mappings()
    ]
    return out


def list_circles(conn: Connection) -> list[dict[str, Any]]:
    names = conn.execute(select(circles.c.name).order_by(circles.c.name)).scalars().all()
    return [get_circle(conn, n) for n in names]


def active_circles(conn: Connection) -> dict[str, frozenset[str]]:
    """Circle name -> its members, for the circles reports may be released to now."""
    found: dict[str, set[str]] = {}
    for name, code in conn.execute(
        select(circle_members.c.circle_name, circle_members.c.member_code)
        .join(circles, circles.c.name == circle_members.c.circle_name)
        .where(circles.c.status == ACTIVE)
    ):
        found.setdefault(name, set()).add(code)
    return {k: frozenset(v) for k, v in found.items()}


def _audit(conn: Connection, dialect: StorageDialect, name: str, action: str, actor: str) -> dict[str, Any]:
    circle = get_circle(conn, name)
    event = audit.AuditEvent.of(action, "circle", name, circle_snapshot(circle, circle["members"]))
    audit.append(conn, dialect, actor, [event])
    return circle


def create_circle(
    conn: Connection,
    dialect: StorageDialect,
    *,
    name: str,
    description: str,
    created_by: str,
    members: list[str],
    consented: set[str],
    actor: str,
) -> dict[str, Any]:
    if conn.execute(select(circles.c.name).where(circles.c.name == name)).first():
        raise Conflict(f"a circle named {name!r} already exists", field="name")
    now = datetime.now(UTC)
    status = ACTIVE if set(members) <= consented else PENDING
    conn.execute(
        circles.insert().values(
            name=name, description=description, created_by=created_by, created_at=now, status=status
        )
    )
    conn.execute(
        circle_members.insert(),
        [
            {"circle_name": name, "member_code": m, "consented_at": now if m in consented else None}
            for m in members
        ],
    )
    return _audit(conn, dialect, name, "circle.create", actor)


def consent(
    conn: Connection, dialect: StorageDialect, name: str, member: str, *, actor: str
) -> dict[str, Any]:
    circle = get_circle(conn, name)
    entry = next((m for m in circle["members"] if m["member_code"] == member), None)
    if entry is None:
        raise NotFound(f"there is no circle {name!r}")
    if entry["consented_at"] is not None:
        raise Conflict(f"member {member} has already consented to circle {name!r}")
    conn.execute(
        update(circle_members)
        .where(circle_members.c.circle_name == name, circle_members.c.member_code == member)
        .values(consented_at=datetime.now(UTC))
    )
    pending = conn.execute(
        select(circle_members.c.member_code).where(
            circle_members.c.circle_name == name, circle_members.c.consented_at.is_(None)
        )
    ).first()
    if pending is None:
        conn.execute(update(circles).where(circles.c.name == name).values(status=ACTIVE))
    return _audit(conn, dialect, name, "circle.consent", actor)


def leave(conn: Connection, dialect: StorageDialect, name: str, member: str, *, actor: str) -> dict[str, Any]:
    circle = get_circle(conn, name)
    if member not in {m["member_code"] for m in circle["members"]}:
        raise NotFound(f"there is no circle {name!r}")
    conn.execute(
        delete(circle_members).where(
            circle_members.c.circle_name == name, circle_members.c.member_code == member
        )
    )
    return _audit(conn, dialect, name, "circle.leave", actor)
