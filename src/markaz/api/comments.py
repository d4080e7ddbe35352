"""REST routes for the exchange of views: comments and opinions on reports and fused items."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from markaz.analysis import views
from markaz.api.deps import CentreDep, CurrentPrincipal, JsonBody, WritePrincipal
from markaz.api.paging import Limit, page_limit
from markaz.api.responses import JSONBody

router = APIRouter(prefix="/api/v1", tags=["views"])

Cursor = Annotated[str | None, Query(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$", description="next_cursor")]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such item, or not visible to the caller (the same answer)"}
}
_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["text"],
                    "properties": {
                        "text": {"type": "string", "minLength": 1, "maxLength": views.MAX_TEXT},
                        "opinion": {
                            "type": "string",
                            "enum": ["strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"],
                        },
                        "reply_to": {"type": "string", "description": "id of the comment answered"},
                    },
                    "additionalProperties": False,
                }
            }
        },
    }
}


async def _list(
    centre: Any, principal: Any, kind: str, item_id: str, limit: int | None, cursor: str | None
) -> Response:
    n = page_limit(centre, limit)
    page = await run_in_threadpool(
        views.list_comments, centre, principal.member, kind, item_id, limit=n, after=cursor
    )
    return JSONBody(page)


async def _post(centre: Any, principal: Any, kind: str, item_id: str, body: Any) -> Response:
    stored = await run_in_threadpool(views.add_comment, centre, principal, kind, item_id, body)
    return JSONBody(stored, status_code=201)


@router.get(
    "/reports/{report_id}/comments",
    responses=_NOT_FOUND,
    summary="The comments and opinions on a report the caller may see, oldest first",
)
async def list_report_comments(
    report_id: str, centre: CentreDep, principal: CurrentPrincipal, limit: Limit = None, cursor: Cursor = None
) -> Response:
    return await _list(centre, principal, "report", report_id, limit, cursor)


@router.post(
    "/reports/{report_id}/comments",
    status_code=201,
    responses=_NOT_FOUND,
    openapi_extra=_BODY,
    summary="Comment on a report, with an optional opinion; its originator is notified",
)
async def add_report_comment(
    report_id: str, centre: CentreDep, principal: WritePrincipal, body: JsonBody
) -> Response:
    return await _post(centre, principal, "report", report_id, body)


@router.get(
    "/sites/{site_id}/comments",
    responses=_NOT_FOUND,
    summary="The comments and opinions on a fused site as the caller sees it, oldest first",
)
async def list_site_comments(
    site_id: str, centre: CentreDep, principal: CurrentPrincipal, limit: Limit = None, cursor: Cursor = None
) -> Response:
    return await _list(centre, principal, "site", site_id, limit, cursor)


@router.post(
    "/sites/{site_id}/comments",
    status_code=201,
    responses=_NOT_FOUND,
    openapi_extra=_BODY,
    summary="Comment on a fused site the caller may see; its originating members are notified",
)
async def add_site_comment(
    site_id: str, centre: CentreDep, principal: WritePrincipal, body: JsonBody
) -> Response:
    return await _post(centre, principal, "site", site_id, body)


@router.get(
    "/tracks/{track_id}/comments",
    responses=_NOT_FOUND,
    summary="The comments and opinions on a fused track as the caller sees it, oldest first",
)
async def list_track_comments(
    track_id: str, centre: CentreDep, principal: CurrentPrincipal, limit: Limit = None, cursor: Cursor = None
) -> Response:
    return await _list(centre, principal, "track", track_id, limit, cursor)


@router.post(
    "/tracks/{track_id}/comments",
    status_code=201,
    responses=_NOT_FOUND,
    openapi_extra=_BODY,
    summary="Comment on a fused track the caller may see; its originating members are notified",
)
async def add_track_comment(
    track_id: str, centre: CentreDep, principal: WritePrincipal, body: JsonBody
) -> Response:
    return await _post(centre, principal, "track", track_id, body)


@router.get(
    "/comments/notifications",
    summary="Comments on the caller's member's items and replies to its comments, oldest first",
)
async def list_notifications(
    centre: CentreDep, principal: CurrentPrincipal, limit: Limit = None, cursor: Cursor = None
) -> Response:
    n = page_limit(centre, limit)
    page = await run_in_threadpool(views.notifications, centre, principal.member, limit=n, after=cursor)
    return JSONBody(page)
