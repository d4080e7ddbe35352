"""Subscriptions' areas of interest: validated once, then matched against observations."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markaz.domain.enums import Category, Precedence
from markaz.errors import InvalidInput

Point = tuple[float, float]
Ring = list[Point]
MAX_VERTICES = 10_000


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{field}: {value!r} is not a finite number", field=field)
    return float(value)


def check_bbox(value: Any) -> tuple[float, float, float, float]:
    """[min_lon, min_lat, max_lon, max_lat] in degrees, west-south corner first."""
    if not isinstance(value, list | tuple) or len(value) != 4:
        raise InvalidInput("bbox: give four numbers [min_lon, min_lat, max_lon, max_lat]", field="bbox")
    x0, y0, x1, y1 = (_number(v, "bbox") for v in value)
    if not (-180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= 90 and -90 <= y1 <= 90):
        raise InvalidInput("bbox: longitudes lie in -180..180 and latitudes in -90..90", field="bbox")
    if x0 > x1 or y0 > y1:
        raise InvalidInput("bbox: the minimum comes before the maximum on each axis", field="bbox")
    return x0, y0, x1, y1


def check_polygon(value: Any) -> dict[str, Any]:
    """A GeoJSON Polygon with one closed ring of at least four positions (no holes)."""
    if not isinstance(value, Mapping) or value.get("type") != "Polygon":
        raise InvalidInput(
            'polygon: give a GeoJSON object {"type": "Polygon", "coordinates": ...}', field="polygon"
        )
    rings = value.get("coordinates")
    if not isinstance(rings, list) or len(rings) != 1 or not isinstance(rings[0], list):
        raise InvalidInput(
            "polygon: give exactly one ring (areas of interest have no holes)", field="polygon"
        )
    ring = rings[0]
    if len(ring) < 4 or len(ring) > MAX_VERTICES:
        raise InvalidInput(f"polygon: a ring has 4 to {MAX_VERTICES} positions", field="polygon")
    points: list[list[float]] = []
    for position in ring:
        if not isinstance(position, list | tuple) or len(position) != 2:
            raise InvalidInput("polygon: each position is [longitude, latitude]", field="polygon")
        lon, lat = _number(position[0], "polygon"), _number(position[1], "polygon")
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidInput(
                "polygon: longitudes lie in -180..180 and latitudes in -90..90", field="polygon"
            )
        points.append([lon, lat])
    if points[0] != points[-1]:
        raise InvalidInput("polygon: the ring must end where it starts", field="polygon")
    if len({(p[0], p[1]) for p in points}) < 3:
        raise InvalidInput("polygon: the ring encloses no area", field="polygon")
    return {"type": "Polygon", "coordinates": [points]}


def check_categories(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise InvalidInput(
            "categories: give a non-empty list of categories, or leave it out", field="categories"
        )
    allowed = {c.value for c in Category}
    for item in value:
        if item not in allowed:
            raise InvalidInput(
                f"categories: {item!r} is not one of {', '.join(sorted(allowed))}", field="categories"
            )
    return sorted(set(value))


def check_precedence(value: Any) -> str | None:
    if value is None:
        return None
    if value not in {p.value for p in Precedence}:
        raise InvalidInput(
            "min_precedence: one of FLASH, IMMEDIATE, PRIORITY, ROUTINE", field="min_precedence"
        )
    return str(value)


@dataclass(frozen=True)
class Interest:
    """One subscription in the form the matcher needs."""

    ring: tuple[Point, ...] | None
    box: tuple[float, float, float, float] | None
    categories: frozenset[str] | None
    min_rank: int | None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Interest:
        ring: tuple[Point, ...] | None = None
        box = None
        if row.get("polygon"):
            ring = tuple((float(p[0]), float(p[1])) for p in row["polygon"]["coordinates"][0])
            box = _bounds(ring)
        elif row.get("min_lon") is not None:
            box = (row["min_lon"], row["min_lat"], row["max_lon"], row["max_lat"])
            x0, y0, x1, y1 = box
            ring = ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))
        cats = frozenset(row["categories"]) if row.get("categories") else None
        rank = Precedence(row["min_precedence"]).rank if row.get("min_precedence") else None
        return cls(ring, box, cats, rank)

    def matches(self, rank: int, observations: Sequence[Mapping[str, Any]]) -> bool:
        """Does a report of precedence `rank` with these observations interest the member?"""
        if self.min_rank is not None and rank > self.min_rank:
            return False
        if self.categories is None and self.ring is None:
            return True
        for o in observations:
            if self.categories is not None and o["category"] not in self.categories:
                continue
            if self.ring is None or self._meets(o):
                return True
        return False

    def _meets(self, o: Mapping[str, Any]) -> bool:
        assert self.ring is not None and self.box is not None
        x0, y0, x1, y1 = self.box
        if o["max_lon"] < x0 or o["min_lon"] > x1 or o["max_lat"] < y0 or o["min_lat"] > y1:
            return False
        return geometry_meets_ring(o["geometry"], self.ring)


def _bounds(points: Iterable[Point]) -> tuple[float, float, float, float]:
    xs, ys = zip(*points, strict=True)
    return min(xs), min(ys), max(xs), max(ys)


def _inside(p: Point, ring: Sequence[Point]) -> bool:
    """Ray casting; points on the boundary count as inside."""
    x, y = p
    inside = False
    for (ax, ay), (bx, by) in itertools.pairwise(ring):
        if _on_segment(p, (ax, ay), (bx, by)):
            return True
        if (ay > y) != (by > y) and x < (bx - ax) * (y - ay) / (by - ay) + ax:
            inside = not inside
    return inside


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _on_segment(p: Point, a: Point, b: Point) -> bool:
    return (
        abs(_cross(a, b, p)) <= 1e-12
        and min(a[0], b[0]) <= p[0] <= max(a[0], b[0])
        and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])
    )


def _segments_meet(a: Point, b: Point, c: Point, d: Point) -> bool:
    d1, d2, d3, d4 = _cross(c, d, a), _cross(c, d, b), _cross(a, b, c), _cross(a, b, d)
    if ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0)) and d1 and d2 and d3 and d4:
        return True
    return _on_segment(a, c, d) or _on_segment(b, c, d) or _on_segment(c, a, b) or _on_segment(d, a, b)


def geometry_meets_ring(geometry: Mapping[str, Any], ring: Sequence[Point]) -> bool:
    """Whether a GeoJSON Point, LineString or Polygon touches or overlaps the area."""
    kind = geometry["type"]
    coords = geometry["coordinates"]
    if kind == "Point":
        return _inside((coords[0], coords[1]), ring)
    line: list[Point] = [(c[0], c[1]) for c in (coords if kind == "LineString" else coords[0])]
    if any(_inside(p, ring) for p in line):
        return True
    if kind == "Polygon" and any(_inside(p, line) for p in ring):
        return True
    return any(
        _segments_meet(a, b, c, d) for a, b in itertools.pairwise(line) for c, d in itertools.pairwise(ring)
    )
