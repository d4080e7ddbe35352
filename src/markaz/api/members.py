"""REST routes for members and the caller's own identity."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from markaz.api.deps import CentreDep, CurrentPrincipal
from markaz.api.responses import JSONBody
from markaz.storage.canonical import iso
from markaz.storage.members import get_member, list_members

router = APIRouter(prefix="/api/v1", tags=["members"])


class MemberPublic(BaseModel):
    code: str
    names: dict[str, str]
    status: str
    joined_at: str


class Me(BaseModel):
    username: str
    role: str
    member: MemberPublic


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": row["code"],
        "names": row["names"],
        "status": row["status"],
        "joined_at": iso(row["joined_at"]),
    }


@router.get("/members", response_model=list[MemberPublic], summary="Members of the centre")
async def members(centre: CentreDep, _principal: CurrentPrincipal) -> Response:
    def work() -> list[dict[str, Any]]:
        with centre.db.read() as conn:
            return [_public(r) for r in list_members(conn)]

    return JSONBody(await run_in_threadpool(work))


@router.get("/me", response_model=Me, summary="Who the token belongs to")
async def me(centre: CentreDep, principal: CurrentPrincipal) -> Response:
    def work() -> dict[str, Any]:
        with centre.db.read() as conn:
            member = get_member(conn, principal.member)
        return {"username": principal.username, "role": principal.role.value, "member": _public(member)}

    return JSONBody(await run_in_threadpool(work))
