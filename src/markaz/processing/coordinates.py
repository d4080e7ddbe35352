"""Coordinates in text: decimal degrees, degrees-minutes-seconds and MGRS, range-checked."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from markaz.domain.normalise import Normalised
from markaz.processing.spans import SpanSet

# Hemisphere words, on normalised text (lower case, Arabic/Persian letters folded, ی -> ي).
_NORTH = r"north|شمالا|شمالي|شمال|с\.?\s?ш\.?|n"
_SOUTH = r"south|جنوبا|جنوبي|جنوب|ю\.?\s?ш\.?|s"
_EAST = r"east|شرقا|شرقي|شرق|в\.?\s?д\.?|e"
_WEST = r"west|غربا|غربي|غرب|з\.?\s?д\.?|w"
_HEM = rf"(?:{_NORTH}|{_SOUTH}|{_EAST}|{_WEST})(?![a-zа-я\u0600-\u06ff])"
_LABEL = r"(?:(?:lat(?:itude)?|lon(?:g(?:itude)?)?|عرض|طول|широта|долгота)\s*[:=]?\s*)?"
_DEG = r"(?:°|º|˚|درجه|deg\.?|град\w*\.?)"
_MIN = r"(?:′|'|دقيقه|دقايق|min\.?|мин\w*\.?)"
_SEC = r"(?:″|\"|''|ثانيه|ثواني|ثوان|sec\.?|сек\w*\.?)"
_AND = r"(?:\s*و\s*|\s*)"
_SEP = r"\s*(?:[,;/]|and|و)?\s*"


def _dms(p: str) -> str:
    return (
        rf"(?:(?P<{p}hp>{_HEM})\s*)?{_LABEL}(?P<{p}d>\d{{1,3}})\s*{_DEG}"
        rf"(?:{_AND}(?P<{p}m>\d{{1,2}}(?:\.\d+)?)\s*{_MIN}"
        rf"(?:{_AND}(?P<{p}s>\d{{1,2}}(?:\.\d+)?)\s*{_SEC})?)?"
        rf"\s*(?P<{p}hs>{_HEM})?"
    )


def _dec(p: str) -> str:
    return (
        rf"(?:(?P<{p}hp>{_HEM})\s*)?{_LABEL}(?P<{p}v>[-+]?\d{{1,3}}\.(?P<{p}f>\d{{1,10}}))"
        rf"\s*(?P<{p}deg>{_DEG})?\s*(?P<{p}hs>{_HEM})?"
    )


_DMS_PAIR = re.compile(rf"(?<![\w.]){_dms('a')}{_SEP}{_dms('b')}")
_DEC_PAIR = re.compile(rf"(?<![\w.\-+]){_dec('a')}{_SEP}{_dec('b')}(?!\w|\.\d)")
_MGRS = re.compile(
    r"(?<![\w.])(?P<zone>\d{1,2})\s?(?P<band>[c-hj-np-x])\s?(?P<sq>[a-hj-np-z][a-hj-np-v])"
    r"\s?(?P<digits>\d{2,5}\s\d{2,5}|\d{4,10})(?!\w|\.\d)"
)
# A pair with two decimals and no hemisphere needs one of these nearby to count.
_CUE = re.compile(r"coord|grid|location|position|lat\b|احداثي|موقع|مختصات|موقعيت|координат|широт")
_MGRS_BANDS = "cdefghjklmnpqrstuvwx"
_MGRS_COLUMNS = {1: "abcdefgh", 2: "jklmnpqr", 0: "stuvwxyz"}
_MONTH_ABBR = frozenset(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])


@dataclass(frozen=True, slots=True)
class Coordinate:
    lat: float
    lon: float
    format: str
    span: tuple[int, int]

    def to_dict(self) -> dict[str, object]:
        return {"lat": self.lat, "lon": self.lon, "format": self.format, "span": [self.span[0], self.span[1]]}


def _hem(token: str | None) -> str | None:
    if not token:
        return None
    for kind, pattern in (("N", _NORTH), ("S", _SOUTH), ("E", _EAST), ("W", _WEST)):
        if re.fullmatch(pattern, token):
            return kind
    return None


def _orient(a: float, ha: str | None, b: float, hb: str | None) -> tuple[float, float] | None:
    """Apply hemispheres (prefix or suffix); longitude-first pairs are swapped."""
    if ha in ("E", "W") or hb in ("N", "S"):
        a, ha, b, hb = b, hb, a, ha
    if ha in ("E", "W") or hb in ("N", "S"):
        return None  # two latitudes or two longitudes
    if ha == "S":
        a = -abs(a)
    if hb == "W":
        b = -abs(b)
    if not (-90.0 <= a <= 90.0 and -180.0 <= b <= 180.0):
        return None
    return round(a, 6), round(b, 6)


def _dms_value(m: re.Match[str], p: str) -> float | None:
    deg = float(m.group(f"{p}d"))
    minutes = float(m.group(f"{p}m") or 0)
    seconds = float(m.group(f"{p}s") or 0)
    if minutes >= 60 or seconds >= 60:
        return None
    return deg + minutes / 60 + seconds / 3600


@functools.lru_cache(maxsize=1)
def _mgrs() -> Any:
    import mgrs

    return mgrs.MGRS()


def _parse_mgrs(m: re.Match[str]) -> tuple[float, float] | None:
    digits = m.group("digits")
    if " " in digits:
        east, north = digits.split(" ")
        if len(east) != len(north):
            return None
        digits = east + north
    elif len(digits) % 2:
        return None
    zone = int(m.group("zone"))
    letters = m.group("band") + m.group("sq")
    if not 1 <= zone <= 60 or letters in _MONTH_ABBR:
        return None
    ref = f"{zone:02d}{letters.upper()}{digits}"
    # The 100 km column letters cycle through three sets by zone; a letter from another set
    # names a square that does not exist in this zone.
    if letters[1] not in _MGRS_COLUMNS[zone % 3]:
        return None
    try:
        lat, lon = _mgrs().toLatLon(ref)
    except Exception:  # mgrs raises its own MGRSError and sometimes ValueError
        return None
    band = _MGRS_BANDS.index(letters[0])
    south = -80 + 8 * band
    north = 84 if letters[0] == "x" else south + 8
    if not south - 0.5 <= lat <= north + 0.5:
        return None  # the latitude band letter contradicts the grid position
    return round(float(lat), 6), round(float(lon), 6)


def find_coordinates(norm: Normalised) -> list[Coordinate]:
    text = norm.text
    found: list[Coordinate] = []
    taken = SpanSet(len(text))

    def add(lat: float, lon: float, fmt: str, start: int, end: int) -> None:
        taken.take(start, end)
        found.append(Coordinate(lat, lon, fmt, norm.span(start, end)))

    for m in _DMS_PAIR.finditer(text):
        a, b = _dms_value(m, "a"), _dms_value(m, "b")
        if a is None or b is None:
            continue
        ha = _hem(m.group("ahp") or m.group("ahs"))
        hb = _hem(m.group("bhp") or m.group("bhs"))
        oriented = _orient(a, ha, b, hb)
        if oriented is not None:
            add(*oriented, "dms", m.start(), m.end())
    for m in _DEC_PAIR.finditer(text):
        if taken.overlaps(m.start(), m.end()):
            continue
        ha = _hem(m.group("ahp") or m.group("ahs"))
        hb = _hem(m.group("bhp") or m.group("bhs"))
        marked = bool(ha or hb or m.group("adeg") or m.group("bdeg"))
        decimals = min(len(m.group("af")), len(m.group("bf")))
        if (
            not marked
            and decimals < 3
            and not (decimals >= 2 and _CUE.search(text, max(0, m.start() - 80), m.start()))
        ):
            continue  # "2.5 and 3.75": numbers, not a position
        oriented = _orient(float(m.group("av")), ha, float(m.group("bv")), hb)
        if oriented is not None:
            add(*oriented, "decimal", m.start(), m.end())
    for m in _MGRS.finditer(text):
        if taken.overlaps(m.start(), m.end()):
            continue
        o_start, o_end = norm.span(m.start(), m.end())
        if any(c.islower() for c in norm.original[o_start:o_end]):
            continue  # grid letters are written upper case; "12 sep 2015" is a date
        parsed = _parse_mgrs(m)
        if parsed is not None:
            add(*parsed, "mgrs", m.start(), m.end())
    found.sort(key=lambda c: c.span)
    return found
