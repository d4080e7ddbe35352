"""REST routes for the exchange of views: comments and opinions on reports and fused items."""

# No `from __future__ import annotations` here: the routes of each commented kind are made by
# one function, and FastAPI must see each route's path parameter (`report_id`, `site_id`,
# `track_id`) as a real annotation object, which a postponed (string) annotation cannot give it.

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from markaz.analysis import views
from markaz.api.deps import CentreDep, CurrentPrincipal, JsonBody, WritePrincipal, body_doc
from markaz.api.paging import Limit, page_limit
from markaz.api.responses import JSONBody

router = APIRouter(prefix="/api/v1", tags=["views"])

Cursor = Annotated[str | None, Query(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$", description="next_cursor")]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such item, or not visible to the caller (the same answer)"}
}
_BODY = body_doc(
    {
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
)


@dataclass(frozen=True)
class Commented:
    """A kind of item that takes comments, and how its routes describe it."""

    kind: str  # report | site | track
    list_summary: str
    post_summary: str


COMMENTED = (
    Commented(
        "report",
        "The comments and opinions on a report the caller may see, oldest first",
        "Comment on a report, with an optional opinion; its originator is notified",
    ),
    Commented(
        "site",
        "The comments and opinions on a fused site as the caller sees it, oldest first",
        "Comment on a fused site the caller may see; its originating members are notified",
    ),
    Commented(
        "track",
        "The comments and opinions on a fused track as the caller sees it, oldest first",
        "Comment on a fused track the caller may see; its originating members are notified",
    ),
)


def _add_routes(item: Commented) -> None:
    """GET and POST /{kind}s/{kind_id}/comments; route names keep the operation ids."""
    kind = item.kind
    ItemId = Annotated[str, Path(alias=f"{kind}_id")]

    async def list_comments(
        item_id: ItemId,
        centre: CentreDep,
        principal: CurrentPrincipal,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> Response:
        n = page_limit(centre, limit)
        page = await run_in_threadpool(
            views.list_comments, centre, principal.member, kind, item_id, limit=n, after=cursor
        )
        return JSONBody(page)

    async def add_comment(
        item_id: ItemId, centre: CentreDep, principal: WritePrincipal, body: JsonBody
    ) -> Response:
        stored = await run_in_threadpool(views.add_comment, centre, principal, kind, item_id, body)
        return JSONBody(stored, status_code=201)

    path = f"/{kind}s/{{{kind}_id}}/comments"
    router.add_api_route(
        path,
        list_comments,
        methods=["GET"],
        name=f"list_{kind}_comments",
        summary=item.list_summary,
        responses=_NOT_FOUND,
    )
    router.add_api_route(
        path,
        add_comment,
        methods=["POST"],
        name=f"add_{kind}_comment",
        summary=item.post_summary,
        status_code=201,
        responses=_NOT_FOUND,
        openapi_extra=_BODY,
    )


for _item in COMMENTED:
    _add_routes(_item)


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
