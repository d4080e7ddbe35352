"""REST routes for delivery status: the chair's board, dead letters, re-sending, the originator's receipts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from markaz.api.deps import AdminPrincipal, CentreDep, CurrentPrincipal
from markaz.api.paging import Cursor, Limit, page_limit
from markaz.api.responses import JSONBody
from markaz.dissemination import board as board_logic

router = APIRouter(prefix="/api/v1", tags=["dissemination"])


@router.get(
    "/deliveries",
    summary="Delivery status without content: every member's for the chair, the own member's for its admins",
)
async def delivery_board(
    centre: CentreDep,
    principal: CurrentPrincipal,
    member: Annotated[str | None, Query(max_length=8)] = None,
    state: Annotated[
        str | None, Query(description="queued | received | acknowledged | overdue | dead")
    ] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> Response:
    n = page_limit(centre, limit)
    page = await run_in_threadpool(
        lambda: board_logic.board(centre, principal, member=member, state=state, limit=n, cursor=cursor)
    )
    return JSONBody(page)


@router.post(
    "/deliveries/{delivery_id}:resend",
    summary="Send a delivery again to the recipient's endpoints (its admins or the chair)",
    responses={404: {"description": "No such delivery, or not the caller's to re-send (same answer)"}},
)
async def resend(delivery_id: str, centre: CentreDep, principal: AdminPrincipal) -> Response:
    return JSONBody(await run_in_threadpool(board_logic.resend, centre, principal, delivery_id))


@router.get(
    "/reports/{report_id}/deliveries",
    summary="For the originator: which members received and acknowledged the report, and when",
    responses={404: {"description": "No such report, or not the caller's own (same answer)"}},
)
async def report_receipts(report_id: str, centre: CentreDep, principal: CurrentPrincipal) -> Response:
    return JSONBody(await run_in_threadpool(board_logic.receipts, centre, principal, report_id))
