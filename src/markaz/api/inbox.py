"""REST routes for a member's deliveries: inbox, acknowledgement, the live stream (SSE)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from markaz.api.deps import CentreDep, CurrentPrincipal, WritePrincipal
from markaz.api.paging import Cursor, Limit, page_limit
from markaz.api.responses import JSONBody
from markaz.dissemination import inbox as inbox_logic
from markaz.dissemination import stream as stream_logic
from markaz.errors import MarkazError
from markaz.web.auth import session_still_live

router = APIRouter(prefix="/api/v1", tags=["dissemination"])
HEARTBEAT_SECONDS = 15.0


@router.get("/inbox", summary="The caller's deliveries, by precedence then newest first, with their state")
async def get_inbox(
    centre: CentreDep,
    principal: CurrentPrincipal,
    limit: Limit = None,
    cursor: Cursor = None,
    state: Annotated[str | None, Query(description="unacknowledged | acknowledged | overdue")] = None,
) -> Response:
    n = page_limit(centre, limit)
    return JSONBody(
        await run_in_threadpool(inbox_logic.inbox, centre, principal, limit=n, cursor=cursor, state=state)
    )


@router.get(
    "/deliveries/{delivery_id}",
    summary="One of the caller's deliveries with its content",
    responses={404: {"description": "No such delivery, or not the caller's (same answer)"}},
)
async def get_delivery(delivery_id: str, centre: CentreDep, principal: CurrentPrincipal) -> Response:
    return JSONBody(await run_in_threadpool(inbox_logic.get_delivery, centre, principal, delivery_id))


@router.post(
    "/deliveries/{delivery_id}/ack",
    summary="Acknowledge one of the caller's deliveries (the first acknowledgement stands)",
    responses={404: {"description": "No such delivery, or not the caller's (same answer)"}},
)
async def acknowledge(delivery_id: str, centre: CentreDep, principal: WritePrincipal) -> Response:
    return JSONBody(await run_in_threadpool(inbox_logic.acknowledge, centre, principal, delivery_id))


@router.get(
    "/stream",
    summary="Live deliveries as Server-Sent Events; resume with the Last-Event-ID header",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(
    request: Request,
    centre: CentreDep,
    principal: CurrentPrincipal,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
    timeout: Annotated[
        float | None, Query(gt=0, le=86_400, description="close after this many seconds")
    ] = None,
) -> Response:
    position = await run_in_threadpool(stream_logic.start, centre, principal, last_event_id)
    poll = centre.settings.stream_poll_ms / 1000

    async def events() -> AsyncIterator[bytes]:
        started = last_beat = time.monotonic()
        yield b"retry: 2000\n\n"
        while timeout is None or time.monotonic() - started < timeout:
            try:
                items = await run_in_threadpool(stream_logic.read, centre, principal, position)
            except MarkazError:
                return  # the member was suspended meanwhile
            for item in items:
                yield stream_logic.event_text(item)
            if not items:
                if time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
                    last_beat = time.monotonic()
                    if not await session_still_live(request, centre):
                        return  # a browser session that ended (idle, signed out) stops its stream
                    yield b": keep-alive\n\n"
                if await request.is_disconnected():
                    return
                await asyncio.sleep(poll)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
