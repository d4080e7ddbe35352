"""REST routes for votes: accessions, suspensions and reinstatements."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from markaz.api.deps import AdminPrincipal, CentreDep, CurrentPrincipal, JsonBody, body_doc
from markaz.api.responses import JSONBody
from markaz.collection.intake import parse_model
from markaz.errors import NotFound
from markaz.governance import votes

router = APIRouter(prefix="/api/v1", tags=["governance"])


class Credentials(BaseModel):
    member: str
    username: str
    password: str
    token: str


@router.get("/accessions", summary="Accession votes, newest first")
async def list_accessions(centre: CentreDep, _principal: CurrentPrincipal) -> Response:
    return JSONBody(await run_in_threadpool(votes.list_motions, centre, "accession"))


@router.post(
    "/accessions",
    status_code=201,
    openapi_extra=body_doc("AccessionRequest"),
    summary="The chair enters a candidate's application and opens the vote",
)
async def open_accession(centre: CentreDep, principal: AdminPrincipal, body: JsonBody) -> Response:
    request = parse_model(votes.AccessionRequest, body)
    motion = await run_in_threadpool(votes.open_accession, centre, principal, request)
    return JSONBody(motion, status_code=201, headers={"Location": f"/api/v1/accessions/{motion['id']}"})


@router.get("/accessions/{motion_id}", summary="One accession vote, with its rule and tally")
async def get_accession(motion_id: str, centre: CentreDep, _principal: CurrentPrincipal) -> Response:
    motion = await run_in_threadpool(votes.get, centre, motion_id)
    if motion["kind"] != "accession":
        raise NotFound(f"there is no accession {motion_id}")
    return JSONBody(motion)


@router.post(
    "/accessions/{motion_id}/votes",
    openapi_extra=body_doc("VoteRequest"),
    summary="The caller's member votes (approve, reject, abstain); changeable until the vote closes",
)
async def vote_accession(
    motion_id: str, centre: CentreDep, principal: AdminPrincipal, body: JsonBody
) -> Response:
    request = parse_model(votes.VoteRequest, body)
    return JSONBody(await run_in_threadpool(votes.vote, centre, principal, motion_id, request.choice))


@router.post(
    "/accessions/{motion_id}:credentials",
    response_model=Credentials,
    summary="Once, to the chair: the admitted member's member_admin login and token",
)
async def credentials(motion_id: str, centre: CentreDep, principal: AdminPrincipal) -> Response:
    return JSONBody(await run_in_threadpool(votes.issue_credentials, centre, principal, motion_id))


@router.post("/motions/{motion_id}:close", summary="The chair closes a vote now, on the votes cast so far")
async def close_motion(motion_id: str, centre: CentreDep, principal: AdminPrincipal) -> Response:
    return JSONBody(await run_in_threadpool(votes.close, centre, principal, motion_id))


@router.get("/motions", summary="Every vote (accessions, suspensions, reinstatements), newest first")
async def list_motions(centre: CentreDep, _principal: CurrentPrincipal) -> Response:
    return JSONBody(await run_in_threadpool(votes.list_motions, centre, None))


@router.post(
    "/motions/{motion_id}/votes", openapi_extra=body_doc("VoteRequest"), summary="Vote on any open motion"
)
async def vote_motion(
    motion_id: str, centre: CentreDep, principal: AdminPrincipal, body: JsonBody
) -> Response:
    request = parse_model(votes.VoteRequest, body)
    return JSONBody(await run_in_threadpool(votes.vote, centre, principal, motion_id, request.choice))


def _member_vote(kind: str) -> Any:
    async def open_vote(code: str, centre: CentreDep, principal: AdminPrincipal, body: JsonBody) -> Response:
        request = parse_model(votes.MotionRequest, body)
        motion = await run_in_threadpool(
            votes.open_member_vote, centre, principal, kind, code, request.deadline
        )
        return JSONBody(motion, status_code=201)

    return open_vote


for _kind in ("suspend", "reinstate"):
    router.add_api_route(
        f"/members/{{code}}:{_kind}",
        _member_vote(_kind),
        methods=["POST"],
        status_code=201,
        openapi_extra=body_doc("MotionRequest"),
        summary=f"The chair opens a vote to {_kind} a member",
        name=f"{_kind}_member",
    )


@router.post("/members/{code}:withdraw", summary="The caller's member withdraws: its tokens are revoked")
async def withdraw(code: str, centre: CentreDep, principal: AdminPrincipal) -> Response:
    from markaz.governance.membership import withdraw as do_withdraw

    return JSONBody(await run_in_threadpool(do_withdraw, centre, principal, code))
