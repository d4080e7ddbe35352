"""Query parameters shared by every list path, parsed into one ReportFilter."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query

from markaz.domain.enums import Category, Precedence, ReportStatus
from markaz.domain.query import as_utc, parse_bbox
from markaz.storage.reports import ReportFilter


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
        since=as_utc(since),
        until=as_utc(until),
        q=q,
        originator=originator,
        precedence=precedence.value if precedence else None,
        status=status.value if status else None,
    )


FilterDep = Annotated[ReportFilter, Depends(report_filter)]
