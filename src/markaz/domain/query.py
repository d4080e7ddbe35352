"""What every query path (API, CLI, situation reports) reads alike: a bbox's text, a time without a zone."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from markaz.errors import InvalidInput

BBox = tuple[float, float, float, float]


def parse_bbox(value: str) -> BBox:
    """The API's, the CLI's and the sitrep's `bbox` text, checked: four finite numbers in range, in order."""
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


def as_utc(value: datetime | None) -> datetime | None:
    """A time given without a zone is read as UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
