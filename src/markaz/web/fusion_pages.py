"""Fused site and track pages: contributions, why they matched, and how the confidence was reached."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from markaz.analysis import fused
from markaz.errors import MarkazError, NotFound
from markaz.web.pages import centre_of, error_page, member_names, page, require_session

router = APIRouter(include_in_schema=False)


async def _item_page(request: Request, kind: str, item_id: str) -> Response:
    session = await require_session(request)
    centre = centre_of(request)
    viewer = session.principal.member

    def work() -> dict[str, Any]:
        item = (fused.get_site if kind == "site" else fused.get_track)(centre, viewer, item_id)
        return {"item": item, "members": member_names(centre, session.language)}

    try:
        if len(item_id) > 40:
            raise NotFound(f"there is no {kind} {item_id}")
        context = await run_in_threadpool(work)
    except MarkazError as exc:
        return error_page(request, session, exc)
    context["mini_map"] = {
        "geometry": context["item"]["geometry"],
        "contributions": [
            {"geometry": c.get("geometry"), "category": c.get("category")}
            for c in context["item"].get("contributions", [])
        ],
    }
    return page(request, "fused.html", context, session=session)


@router.get("/sites/{site_id}")
async def site_page(request: Request, site_id: str) -> Response:
    return await _item_page(request, "site", site_id)


@router.get("/tracks/{track_id}")
async def track_page(request: Request, track_id: str) -> Response:
    return await _item_page(request, "track", track_id)
