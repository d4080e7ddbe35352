"""Query parameters shared by every list path, parsed into one ReportFilter."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Query

from markaz.domain.enums import Category, Precedence, ReportStatus
from markaz.errors import InvalidInput
from markaz.storage.dialects import BBox
from markaz.storage.reports import ReportFilter


def parse_bbox(value: str) -> BBox:
    parts = value.split(",")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise InvalidInput("bbox must be four numbers: minLon,minLat,maxLon,maxLat", field="bbox")
    min_lon, min_lat, max_lon, max_lat = numbers
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise InvalidInput(
            "bbox must satisfy -180 <= minLon <= maxLon <= 180 and -90 <= minLat <= maxLat <= 90",
            field="bbox",
        )
    return min_lon, min_lat, max_lon, max_lat


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def report_filter(
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat (WGS84)")] = None,
    category: Annotated[Category | None, Query()] = None,
    since: Annotated[
        datetime | None, Query(description="received at or after (ISO 8601; UTC if no zone)")
    ] = None,
    until: Annotated[datetime | None, Query(description="received before (ISO 8601; UTC if no zone)")] = None,
    q: Annotated[str | None, Query(max_length=500, description="full-text search of title and body")] = None,
    originator: Annotated[str | None, Query(pattern=r"^[A-Z0-9]{2,8}$")] = None,
    precedence: Annotated[Precedence | None, Query()] = None,
    status: Annotated[ReportStatus | None, Query()] = None,
) -> ReportFilter:
    return ReportFilter(
        bbox=parse_bbox(bbox) if bbox is not None else None,
        category=category.value if category else None,
        since=_aware(since),
        until=_aware(until),
        q=q,
        originator=originator,
        precedence=precedence.value if precedence else None,
        status=status.value if status else None,
    )


FilterDep = Annotated[ReportFilter, Depends(report_filter)]
