"""Sharing circles: named sets of members, created by a member for circles it belongs to."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from markaz.centre import Centre
from markaz.domain.enums import Role
from markaz.domain.models import CIRCLE_NAME_PATTERN, MEMBER_CODE_PATTERN
from markaz.domain.text import check_label
from markaz.errors import Forbidden, InvalidInput, NotFound
from markaz.storage import circles as store
from markaz.storage.canonical import iso
from markaz.storage.members import member_codes
from markaz.storage.principals import Principal

GOVERNANCE_ROLES = frozenset({Role.MEMBER_ADMIN, Role.CENTRE_ADMIN})


class CircleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=CIRCLE_NAME_PATTERN)]
    description: Annotated[
        str, Field(max_length=300), AfterValidator(lambda v: check_label(v, "description"))
    ]
    members: Annotated[
        list[Annotated[str, Field(pattern=MEMBER_CODE_PATTERN)]], Field(min_length=2, max_length=64)
    ]


def require_governance(principal: Principal) -> None:
    if principal.role not in GOVERNANCE_ROLES:
        raise Forbidden(
            f"the role {principal.role.value} may not manage circles; a member_admin or centre_admin may"
        )


def public_circle(circle: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": circle["name"],
        "description": circle["description"],
        "created_by": circle["created_by"],
        "created_at": iso(circle["created_at"]),
        "status": circle["status"],
        "members": [
            {"code": m["member_code"], "consented_at": iso(m["consented_at"])} for m in circle["members"]
        ],
    }


def create(centre: Centre, principal: Principal, request: CircleCreate) -> dict[str, Any]:
    """Create a circle: the chair may create any; another member only circles it belongs to.

    A bilateral circle (two members) is active once both members consented (the creator
    consents by creating); a larger circle is active at once.
    """
    require_governance(principal)
    members = sorted(set(request.members))
    if len(members) != len(request.members):
        raise InvalidInput("a circle lists a member twice", field="members")
    if principal.member not in members and not _is_chair(centre, principal.member):
        raise Forbidden("a member may only create circles it belongs to; the chair may create any")
    consented = {principal.member} if len(members) == 2 else set(members)
    db = centre.db
    with db.write() as conn:
        known, active = member_codes(conn)
        for code in members:
            if code not in known:
                raise InvalidInput(f"there is no member {code}", field="members")
            if code not in active:
                raise InvalidInput(f"member {code} is not active", field="members")
        circle = store.create_circle(
            conn,
            db.dialect,
            name=request.name,
            description=request.description,
            created_by=principal.member,
            members=members,
            consented=consented,
            actor=principal.username,
        )
    return public_circle(circle)


def _is_chair(centre: Centre, member: str) -> bool:
    from markaz.governance import chair

    try:
        return chair.current(centre).member == member
    except NotFound:
        return False


def _check_name(name: str) -> str:
    if not re.fullmatch(CIRCLE_NAME_PATTERN, name):
        raise InvalidInput(f"{name!r} is not a circle name", field="name")
    return name


def consent(centre: Centre, principal: Principal, name: str) -> dict[str, Any]:
    require_governance(principal)
    with centre.db.write() as conn:
        circle = store.consent(
            conn, centre.db.dialect, _check_name(name), principal.member, actor=principal.username
        )
    return public_circle(circle)


def leave(centre: Centre, principal: Principal, name: str) -> dict[str, Any]:
    """Leaving changes who future releases to the circle reach; past reports keep their recipients."""
    require_governance(principal)
    with centre.db.write() as conn:
        circle = store.leave(
            conn, centre.db.dialect, _check_name(name), principal.member, actor=principal.username
        )
    return public_circle(circle)


def list_all(centre: Centre) -> list[dict[str, Any]]:
    with centre.db.read() as conn:
        return [public_circle(c) for c in store.list_circles(conn)]


def get(centre: Centre, name: str) -> dict[str, Any]:
    with centre.db.read() as conn:
        return public_circle(store.get_circle(conn, _check_name(name)))
