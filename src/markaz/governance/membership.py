"""Withdrawal of a member: its access ends, its past submissions stay, attributed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from markaz.centre import Centre
from markaz.domain.enums import MemberStatus, Role
from markaz.errors import Conflict, Forbidden
from markaz.governance import chair
from markaz.storage.members import get_member, set_member_status
from markaz.storage.principals import Principal, revoke_token
from markaz.storage.schema import api_tokens, principals


def withdraw(centre: Centre, principal: Principal, code: str) -> dict[str, Any]:
    """A member withdraws itself: status withdrawn, every token revoked, its chair term closed."""
    if principal.member != code or principal.role not in (Role.MEMBER_ADMIN, Role.CENTRE_ADMIN):
        raise Forbidden("a member withdraws itself, through its member_admin")
    db = centre.db
    with db.write() as conn:
        if get_member(conn, code)["status"] == MemberStatus.WITHDRAWN.value:
            raise Conflict(f"member {code} has already withdrawn")
        row = set_member_status(conn, db.dialect, code, MemberStatus.WITHDRAWN, actor=principal.username)
        live = (
            conn.execute(
                select(api_tokens.c.id)
                .join(principals, principals.c.id == api_tokens.c.principal_id)
                .where(principals.c.member_code == code, api_tokens.c.revoked_at.is_(None))
            )
            .scalars()
            .all()
        )
        for token_id in live:
            revoke_token(conn, db.dialect, token_id, actor=principal.username)
        chair.close_term_of(conn, db.dialect, code, datetime.now(UTC).date(), principal.username)
    return {"code": code, "status": row["status"], "tokens_revoked": len(live)}
