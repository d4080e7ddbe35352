"""REST routes for the fused picture: sites, tracks, split and merge, members' quality records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from markaz.analysis import decisions, fused, quality
from markaz.api.deps import CentreDep, CurrentPrincipal, JsonBody, WritePrincipal
from markaz.api.filters import parse_bbox
from markaz.api.responses import JSONBody
from markaz.domain.enums import Category
from markaz.errors import InvalidInput

router = APIRouter(prefix="/api/v1", tags=["fusion"])
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such item, or not visible to the caller (same answer)"}
}


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def fused_filter(
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat (WGS84)")] = None,
    category: Annotated[
        Category | None, Query(description="items with a contribution of this category")
    ] = None,
    since: Annotated[datetime | None, Query(description="last seen at or after (UTC if no zone)")] = None,
    until: Annotated[datetime | None, Query(description="first seen before (UTC if no zone)")] = None,
    contested: Annotated[
        bool | None, Query(description="only contested (true) or uncontested (false)")
    ] = None,
) -> fused.FusedFilter:
    return fused.FusedFilter(
        bbox=parse_bbox(bbox) if bbox is not None else None,
        since=_aware(since),
        until=_aware(until),
        category=category.value if category else None,
        contested=contested,
    )


FusedFilterDep = Annotated[fused.FusedFilter, Depends(fused_filter)]
Limit = Annotated[int | None, Query(ge=1)]
Cursor = Annotated[str | None, Query(max_length=500)]


def _limit(centre: Any, limit: int | None) -> int:
    if limit is None:
        return int(centre.settings.default_page_size)
    if limit > centre.settings.max_page_size:
        raise InvalidInput(f"limit may be at most {centre.settings.max_page_size}", field="limit")
    return limit


def _body(model: type[decisions.SplitRequest] | type[decisions.MergeRequest]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


@router.get("/sites", summary="Fused sites as the caller sees them (from what it may see only)")
async def list_sites(
    centre: CentreDep,
    principal: CurrentPrincipal,
    f: FusedFilterDep,
    limit: Limit = None,
    cursor: Cursor = None,
) -> Response:
    n = _limit(centre, limit)
    return JSONBody(
        await run_in_threadpool(lambda: fused.list_sites(centre, principal.member, f, limit=n, cursor=cursor))
    )


@router.get(
    "/sites.geojson",
    summary="Fused sites as a GeoJSON FeatureCollection",
    response_class=JSONBody,
    responses={200: {"content": {"application/geo+json": {}}}},
)
async def sites_geojson(
    centre: CentreDep,
    principal: CurrentPrincipal,
    f: FusedFilterDep,
    limit: Limit = None,
    cursor: Cursor = None,
) -> Response:
    n = _limit(centre, limit)
    page = await run_in_threadpool(
        lambda: fused.sites_geojson(centre, principal.member, f, limit=n, cursor=cursor)
    )
    return JSONBody(page, media_type="application/geo+json")


@router.post(
    "/sites:merge",
    openapi_extra=_body(decisions.MergeRequest),
    responses=_NOT_FOUND,
    summary="Merge sites into one",
)
async def merge_sites(centre: CentreDep, principal: WritePrincipal, body: JsonBody) -> Response:
    request = decisions.parse(decisions.MergeRequest, body)
    if any(not i.startswith("S") for i in request.items):
        raise InvalidInput("name sites (S...) here; tracks are merged at /api/v1/tracks:merge", field="items")
    return JSONBody(await run_in_threadpool(decisions.merge, centre, principal, request))


@router.get("/sites/{site_id}", responses=_NOT_FOUND, summary="One site with contributions and explanation")
async def get_site(site_id: str, centre: CentreDep, principal: CurrentPrincipal) -> Response:
    return JSONBody(await run_in_threadpool(fused.get_site, centre, principal.member, site_id))


@router.post(
    "/sites/{site_id}:split",
    openapi_extra=_body(decisions.SplitRequest),
    responses=_NOT_FOUND,
    summary="Split observations off a site; the decision sticks and is audited",
)
async def split_site(site_id: str, centre: CentreDep, principal: WritePrincipal, body: JsonBody) -> Response:
    request = decisions.parse(decisions.SplitRequest, body)
    if not site_id.startswith("S"):
        raise fused_not_found("site", site_id)
    return JSONBody(await run_in_threadpool(decisions.split, centre, principal, site_id, request))


@router.get("/tracks", summary="Fused tracks as the caller sees them")
async def list_tracks(
    centre: CentreDep,
    principal: CurrentPrincipal,
    f: FusedFilterDep,
    limit: Limit = None,
    cursor: Cursor = None,
) -> Response:
    n = _limit(centre, limit)
    return JSONBody(
        await run_in_threadpool(
            lambda: fused.list_tracks(centre, principal.member, f, limit=n, cursor=cursor)
        )
    )


@router.get(
    "/tracks.geojson",
    summary="Fused tracks as a GeoJSON FeatureCollection",
    response_class=JSONBody,
    responses={200: {"content": {"application/geo+json": {}}}},
)
async def tracks_geojson(
    centre: CentreDep,
    principal: CurrentPrincipal,
    f: FusedFilterDep,
    limit: Limit = None,
    cursor: Cursor = None,
) -> Response:
    n = _limit(centre, limit)
    page = await run_in_threadpool(
        lambda: fused.tracks_geojson(centre, principal.member, f, limit=n, cursor=cursor)
    )
    return JSONBody(page, media_type="application/geo+json")


@router.post(
    "/tracks:merge",
    openapi_extra=_body(decisions.MergeRequest),
    responses=_NOT_FOUND,
    summary="Merge tracks into one",
)
async def merge_tracks(centre: CentreDep, principal: WritePrincipal, body: JsonBody) -> Response:
    request = decisions.parse(decisions.MergeRequest, body)
    if any(not i.startswith("T") for i in request.items):
        raise InvalidInput("name tracks (T...) here; sites are merged at /api/v1/sites:merge", field="items")
    return JSONBody(await run_in_threadpool(decisions.merge, centre, principal, request))


@router.get(
    "/tracks/{track_id}", responses=_NOT_FOUND, summary="One track with contributions and explanation"
)
async def get_track(track_id: str, centre: CentreDep, principal: CurrentPrincipal) -> Response:
    return JSONBody(await run_in_threadpool(fused.get_track, centre, principal.member, track_id))


@router.post(
    "/tracks/{track_id}:split",
    openapi_extra=_body(decisions.SplitRequest),
    responses=_NOT_FOUND,
    summary="Split observations off a track",
)
async def split_track(
    track_id: str, centre: CentreDep, principal: WritePrincipal, body: JsonBody
) -> Response:
    request = decisions.parse(decisions.SplitRequest, body)
    if not track_id.startswith("T"):
        raise fused_not_found("track", track_id)
    return JSONBody(await run_in_threadpool(decisions.split, centre, principal, track_id, request))


@router.get(
    "/members/{code}/quality",
    responses={404: {"description": "Not the caller's own record and the caller is not the chair"}},
    summary="How often a member's reports are corroborated or contradicted by independent members",
)
async def member_quality(code: str, centre: CentreDep, principal: CurrentPrincipal) -> Response:
    return JSONBody(await run_in_threadpool(quality.member_quality, centre, principal.member, code))


def fused_not_found(word: str, item_id: str) -> Exception:
    from markaz.errors import NotFound

    return NotFound(f"there is no {word} {item_id}")
