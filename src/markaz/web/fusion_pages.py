"""Fused site and track pages: contributions, why they matched, and how the confidence was reached."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from markaz.analysis import fused
from markaz.errors import NotFound
from markaz.storage.web_sessions import WebSession
from markaz.web.pages import centre_of, member_names, page, show

router = APIRouter(include_in_schema=False)


async def _item_page(request: Request, kind: str, item_id: str) -> Response:
    centre = centre_of(request)

    def render(session: WebSession) -> Response:
        if len(item_id) > 40:
            raise NotFound(f"there is no {kind} {item_id}")
        get_item = fused.get_site if kind == "site" else fused.get_track
        item = get_item(centre, session.principal.member, item_id)
        mini_map = {
            "geometry": item["geometry"],
            "contributions": [
                {"geometry": c.get("geometry"), "category": c.get("category")}
                for c in item.get("contributions", [])
            ],
        }
        context = {"item": item, "members": member_names(centre, session.language), "mini_map": mini_map}
        return page(request, "fused.html", context, session=session)

    return await show(request, render)


@router.get("/sites/{site_id}")
async def site_page(request: Request, site_id: str) -> Response:
    return await _item_page(request, "site", site_id)


@router.get("/tracks/{track_id}")
async def track_page(request: Request, track_id: str) -> Response:
    return await _item_page(request, "track", track_id)
