"""REST routes for situation reports: a member's own, and the chair's published centre products."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from markaz.analysis import sitrep
from markaz.api.deps import CentreDep, CurrentPrincipal

router = APIRouter(prefix="/api/v1", tags=["situation reports"])


@router.get(
    "/sitrep",
    summary="A situation report for the caller's member, from what it may see",
    responses={
        200: {
            "content": {
                "application/json": {},
                "text/markdown": {},
                "text/html": {},
                "application/pdf": {},
            }
        }
    },
)
async def get_sitrep(
    centre: CentreDep,
    principal: CurrentPrincipal,
    since: Annotated[
        datetime | None, Query(description="from (ISO 8601; default: 24 hours before until)")
    ] = None,
    until: Annotated[datetime | None, Query(description="to, exclusive (ISO 8601; default: now)")] = None,
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat (WGS84)")] = None,
    lang: Annotated[str, Query(description="ar, fa, ru or en")] = "en",
    format: Annotated[str, Query(description="json, md, html or pdf")] = "json",
) -> Response:
    req = sitrep.parse_request(since=since, until=until, bbox=bbox, lang=lang, fmt=format)
    media_type, content = await run_in_threadpool(sitrep.member_sitrep, centre, principal.member, req)
    return Response(content, media_type=media_type)
