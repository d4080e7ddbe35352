"""Stored principals (people and member systems), their passwords and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, insert, select, update

from markaz.domain.enums import MemberStatus, Role
from markaz.errors import Conflict, InvalidInput, NotFound
from markaz.security.scopes import Scope, default_scope
from markaz.storage import audit
from markaz.storage.canonical import principal_snapshot, token_snapshot
from markaz.storage.dialects import StorageDialect
from markaz.storage.members import get_member
from markaz.storage.schema import api_tokens, members, principals

TOKEN_PREFIX = "mkz_"
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    """Who is asking: a person or system of one member, with one role."""

    id: int
    username: str
    member: str
    role: Role
    member_status: MemberStatus
    # What the credential may do on top of the role; people signed in with a password act
    # with their full role. token_id names the token a request came with (rate limits).
    scope: Scope = Scope.ADMIN
    token_id: int | None = None


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough; argon2 is for passwords.
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def add_principal(
    conn: Connection,
    dialect: StorageDialect,
    *,
    username: str,
    member: str,
    role: Role,
    kind: str = "person",
    password: str | None = None,
    actor: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    get_member(conn, member)
    if conn.execute(select(principals.c.id).where(principals.c.username == username)).first():
        raise Conflict(f"user name {username!r} is taken", field="username")
    row: dict[str, Any] = {
        "member_code": member,
        "username": username,
        "kind": kind,
        "role": role.value,
        "password_hash": hash_password(password) if password else None,
        "created_at": now or datetime.now(UTC),
        "disabled_at": None,
    }
    row["id"] = conn.execute(insert(principals).values(**row).returning(principals.c.id)).scalar_one()
    audit.append(
        conn,
        dialect,
        actor,
        [audit.AuditEvent.of("principal.add", "principal", str(row["id"]), principal_snapshot(row))],
    )
    return row


def find_principal(conn: Connection, username: str) -> dict[str, Any] | None:
    row = conn.execute(select(principals).where(principals.c.username == username)).mappings().first()
    return dict(row) if row else None


def check_password(conn: Connection, username: str, password: str) -> Principal | None:
    row = (
        conn.execute(
            select(principals, members.c.status.label("member_status"))
            .join(members, members.c.code == principals.c.member_code)
            .where(principals.c.username == username, principals.c.disabled_at.is_(None))
        )
        .mappings()
        .first()
    )
    if row is None or not row["password_hash"]:
        return None
    try:
        _hasher.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return None
    return Principal(
        row["id"], row["username"], row["member_code"], Role(row["role"]), MemberStatus(row["member_status"])
    )


def create_token(
    conn: Connection,
    dialect: StorageDialect,
    *,
    principal_id: int,
    expires_in: timedelta,
    actor: str,
    token: str | None = None,
    now: datetime | None = None,
    scope: Scope | None = None,
) -> tuple[str, dict[str, Any]]:
    """A new API token; the clear text is returned once and only its hash is stored.

    Without `scope`, the token gets the most its principal's role can use (default_scope)."""
    if expires_in <= timedelta(0):
        raise InvalidInput("a token's lifetime must be positive", field="expires")
    if scope is None:
        role = conn.execute(select(principals.c.role).where(principals.c.id == principal_id)).scalar()
        if role is None:
            raise NotFound(f"there is no principal {principal_id}")
        scope = default_scope(Role(role))
    now = now or datetime.now(UTC)
    token = token or TOKEN_PREFIX + secrets.token_urlsafe(32)
    row: dict[str, Any] = {
        "principal_id": principal_id,
        "token_hash": hash_token(token),
        "prefix": token[:12],
        "created_at": now,
        "expires_at": now + expires_in,
        "revoked_at": None,
        "scope": Scope(scope).value,
    }
    if conn.execute(select(api_tokens.c.id).where(api_tokens.c.token_hash == row["token_hash"])).first():
        raise Conflict("this token already exists")
    row["id"] = conn.execute(insert(api_tokens).values(**row).returning(api_tokens.c.id)).scalar_one()
    audit.append(
        conn,
        dialect,
        actor,
        [audit.AuditEvent.of("token.create", "token", str(row["id"]), token_snapshot(row))],
    )
    return token, row


def revoke_token(
    conn: Connection, dialect: StorageDialect, token_id: int, *, actor: str, now: datetime | None = None
) -> dict[str, Any]:
    row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).mappings().first()
    if row is None:
        raise NotFound(f"there is no token {token_id}")
    if row["revoked_at"] is not None:
        return dict(row)
    revoked = {**row, "revoked_at": now or datetime.now(UTC)}
    conn.execute(
        update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=revoked["revoked_at"])
    )
    audit.append(
        conn,
        dialect,
        actor,
        [audit.AuditEvent.of("token.revoke", "token", str(token_id), token_snapshot(revoked))],
    )
    return revoked


def list_tokens(conn: Connection, member: str | None = None) -> list[dict[str, Any]]:
    query = (
        select(api_tokens, principals.c.username, principals.c.member_code)
        .join(principals, principals.c.id == api_tokens.c.principal_id)
        .order_by(api_tokens.c.id)
    )
    if member:
        query = query.where(principals.c.member_code == member)
    return [dict(r) for r in conn.execute(query).mappings()]


def authenticate_token(conn: Connection, token: str, now: datetime | None = None) -> Principal | None:
    """The principal a bearer token stands for, or None if it is unknown, expired or revoked."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    now = now or datetime.now(UTC)
    row = (
        conn.execute(
            select(
                principals.c.id,
                principals.c.username,
                principals.c.member_code,
                principals.c.role,
                api_tokens.c.id.label("token_id"),
                api_tokens.c.scope,
                api_tokens.c.expires_at,
                api_tokens.c.revoked_at,
                principals.c.disabled_at,
                members.c.status.label("member_status"),
            )
            .join(principals, principals.c.id == api_tokens.c.principal_id)
            .join(members, members.c.code == principals.c.member_code)
            .where(api_tokens.c.token_hash == hash_token(token))
        )
        .mappings()
        .first()
    )
    if row is None or row["revoked_at"] is not None or row["disabled_at"] is not None:
        return None
    if row["expires_at"] <= now:
        return None
    return Principal(
        row["id"],
        row["username"],
        row["member_code"],
        Role(row["role"]),
        MemberStatus(row["member_status"]),
        Scope(row["scope"]),
        row["token_id"],
    )
