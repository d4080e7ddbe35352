"""REST routes for the fused picture: sites, tracks, split and merge, members' quality records."""

# No `from __future__ import annotations` here: the site and track routes are made by one
# function, and FastAPI must see each route's path parameter (`site_id`, `track_id`) as a real
# annotation object, which a postponed (string) annotation inside a function cannot give it.

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from markaz.analysis import decisions, fused, quality
from markaz.api.deps import CentreDep, CurrentPrincipal, JsonBody, WritePrincipal, body_doc
from markaz.api.paging import Cursor, Limit, page_limit
from markaz.api.responses import JSONBody
from markaz.centre import Centre
from markaz.domain.enums import Category
from markaz.domain.query import as_utc, parse_bbox
from markaz.errors import InvalidInput, NotFound

router = APIRouter(prefix="/api/v1", tags=["fusion"])
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such item, or not visible to the caller (same answer)"}
}
_GEOJSON: dict[int | str, dict[str, Any]] = {200: {"content": {"application/geo+json": {}}}}


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
        since=as_utc(since),
        until=as_utc(until),
        category=category.value if category else None,
        contested=contested,
    )


FusedFilterDep = Annotated[fused.FusedFilter, Depends(fused_filter)]


Page = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class FusedKind:
    """What differs between the site routes and the track routes."""

    word: str  # site | track
    prefix: str  # the first letter of its ids
    other: str  # the other kind, named in the merge error
    list_items: Page
    geojson: Page
    get_item: Callable[[Centre, str, str], dict[str, Any]]

    @property
    def plural(self) -> str:
        return self.word + "s"


SITES = FusedKind("site", "S", "track", fused.list_sites, fused.sites_geojson, fused.get_site)
TRACKS = FusedKind("track", "T", "site", fused.list_tracks, fused.tracks_geojson, fused.get_track)


def fused_not_found(word: str, item_id: str) -> Exception:
    return NotFound(f"there is no {word} {item_id}")


def _add_routes(kind: FusedKind) -> None:
    """List, GeoJSON, merge, get and split for one kind; route names keep the operation ids."""
    base = f"/{kind.plural}"
    ItemId = Annotated[str, Path(alias=f"{kind.word}_id")]

    async def list_items(
        centre: CentreDep,
        principal: CurrentPrincipal,
        f: FusedFilterDep,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> Response:
        n = page_limit(centre, limit)
        return JSONBody(
            await run_in_threadpool(
                lambda: kind.list_items(centre, principal.member, f, limit=n, cursor=cursor)
            )
        )

    async def geojson(
        centre: CentreDep,
        principal: CurrentPrincipal,
        f: FusedFilterDep,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> Response:
        n = page_limit(centre, limit)
        page = await run_in_threadpool(
            lambda: kind.geojson(centre, principal.member, f, limit=n, cursor=cursor)
        )
        return JSONBody(page, media_type="application/geo+json")

    async def merge(centre: CentreDep, principal: WritePrincipal, body: JsonBody) -> Response:
        request = decisions.parse(decisions.MergeRequest, body)
        if any(not i.startswith(kind.prefix) for i in request.items):
            raise InvalidInput(
                f"name {kind.plural} ({kind.prefix}...) here; "
                f"{kind.other}s are merged at /api/v1/{kind.other}s:merge",
                field="items",
            )
        return JSONBody(await run_in_threadpool(decisions.merge, centre, principal, request))

    async def get(item_id: ItemId, centre: CentreDep, principal: CurrentPrincipal) -> Response:
        return JSONBody(await run_in_threadpool(kind.get_item, centre, principal.member, item_id))

    async def split(
        item_id: ItemId, centre: CentreDep, principal: WritePrincipal, body: JsonBody
    ) -> Response:
        request = decisions.parse(decisions.SplitRequest, body)
        if not item_id.startswith(kind.prefix):
            raise fused_not_found(kind.word, item_id)
        return JSONBody(await run_in_threadpool(decisions.split, centre, principal, item_id, request))

    router.add_api_route(
        base,
        list_items,
        methods=["GET"],
        name=f"list_{kind.plural}",
        summary=f"Fused {kind.plural} as the caller sees them (from what it may see only)",
    )
    router.add_api_route(
        f"{base}.geojson",
        geojson,
        methods=["GET"],
        name=f"{kind.plural}_geojson",
        summary=f"Fused {kind.plural} as a GeoJSON FeatureCollection",
        response_class=JSONBody,
        responses=_GEOJSON,
    )
    router.add_api_route(
        f"{base}:merge",
        merge,
        methods=["POST"],
        name=f"merge_{kind.plural}",
        summary=f"Merge {kind.plural} into one",
        openapi_extra=body_doc(decisions.MergeRequest.model_json_schema()),
        responses=_NOT_FOUND,
    )
    router.add_api_route(
        f"{base}/{{{kind.word}_id}}",
        get,
        methods=["GET"],
        name=f"get_{kind.word}",
        summary=f"One {kind.word} with contributions and explanation",
        responses=_NOT_FOUND,
    )
    router.add_api_route(
        f"{base}/{{{kind.word}_id}}:split",
        split,
        methods=["POST"],
        name=f"split_{kind.word}",
        summary=f"Split observations off a {kind.word}; the decision sticks and is audited",
        openapi_extra=body_doc(decisions.SplitRequest.model_json_schema()),
        responses=_NOT_FOUND,
    )


_add_routes(SITES)
_add_routes(TRACKS)


@router.get(
    "/members/{code}/quality",
    responses={404: {"description": "Not the caller's own record and the caller is not the chair"}},
    summary="How often a member's reports are corroborated or contradicted by independent members",
)
async def member_quality(code: str, centre: CentreDep, principal: CurrentPrincipal) -> Response:
    return JSONBody(await run_in_threadpool(quality.member_quality, centre, principal.member, code))
