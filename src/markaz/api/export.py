"""GET /api/v1/export: the caller's visible reports as a STIX bundle, GeoJSON, KML or CSV file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import StreamingResponse

from markaz.api.deps import CentreDep, CurrentPrincipal
from markaz.api.filters import FilterDep
from markaz.dissemination import exports

router = APIRouter(prefix="/api/v1", tags=["export"])


@router.get(
    "/export",
    summary="Download visible reports as a file: stix, geojson, kml or csv (the list filters apply)",
    responses={200: {"content": {media: {} for media in exports.FORMATS.values()}}},
)
async def export_file(
    centre: CentreDep,
    principal: CurrentPrincipal,
    f: FilterDep,
    format: Annotated[str, Query(description="stix | geojson | kml | csv")] = "stix",
) -> StreamingResponse:
    fmt = exports.check_format(format)
    name = f"markaz-{principal.member.lower()}.{exports.EXTENSIONS[fmt]}"
    return StreamingResponse(
        exports.export(centre, principal.member, fmt, f),
        media_type=exports.FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
