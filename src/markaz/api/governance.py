"""REST routes for the rotating chair."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from markaz.api.deps import AdminPrincipal, CentreDep, CurrentPrincipal
from markaz.api.responses import JSONBody
from markaz.governance import chair

router = APIRouter(prefix="/api/v1/governance", tags=["governance"])


class TermPublic(BaseModel):
    member: str
    starts_on: date
    ends_on: date


@router.get(
    "/chair", response_model=TermPublic, summary="The member that chairs the centre today, and its term"
)
async def current_chair(centre: CentreDep, _principal: CurrentPrincipal) -> Response:
    term = await run_in_threadpool(chair.current, centre)
    return JSONBody(chair.term_public(term))


@router.get("/terms", response_model=list[TermPublic], summary="The chair schedule: terms served and to come")
async def terms(
    centre: CentreDep,
    _principal: CurrentPrincipal,
    from_: Annotated[date | None, Query(alias="from", description="default: today")] = None,
    to: Annotated[date | None, Query(description="default: two years after `from`")] = None,
) -> Response:
    since = from_ or datetime.now(UTC).date()
    until = to or since + timedelta(days=730)
    found = await run_in_threadpool(lambda: chair.schedule(centre, since=since, until=until))
    return JSONBody([chair.term_public(t) for t in found])


@router.post(
    "/handover",
    response_model=TermPublic,
    summary="The chair steps down today; the next member's full term starts today",
)
async def handover(centre: CentreDep, principal: AdminPrincipal) -> Response:
    term = await run_in_threadpool(chair.handover, centre, principal)
    return JSONBody(chair.term_public(term))
