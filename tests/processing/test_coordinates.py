"""Coordinates: decimal, DMS and MGRS in four languages, range checks, non-coordinates."""

from __future__ import annotations

import mgrs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from markaz.domain.normalise import normalise
from markaz.processing.coordinates import _MONTH_ABBR, find_coordinates


def _found(text: str) -> list[tuple[float, float, str]]:
    return [(round(c.lat, 4), round(c.lon, 4), c.format) for c in find_coordinates(normalise(text))]


@pytest.mark.parametrize(
    ("text", "lat", "lon"),
    [
        ("position 36.3412, 43.1297 reported", 36.3412, 43.1297),
        ("N36.3412 E43.1297", 36.3412, 43.1297),
        ("43.1297E 36.3412N", 36.3412, 43.1297),  # longitude first, told by the letters
        ("33.5138° N, 36.2765° E", 33.5138, 36.2765),
        ("12.5000 S, 44.2500 W", -12.5, -44.25),
        ("إحداثيات ٣٦٫٣٤١٢ شمالاً و٤٣٫١٢٩٧ شرقاً", 36.3412, 43.1297),
        ("مختصات ۳۴٫۳۴۵۶ شمالی و ۴۷٫۰۹۸۷ شرقی", 34.3456, 47.0987),
        ("координаты 36.3741 с.ш. 42.4486 в.д.", 36.3741, 42.4486),
        ("coordinates 36.34, 43.13", 36.34, 43.13),  # two decimals count with a cue word
    ],
)
def test_decimal(text: str, lat: float, lon: float) -> None:
    assert _found(text) == [(lat, lon, "decimal")]


@pytest.mark.parametrize(
    ("text", "lat", "lon"),
    [
        ("36°20′28″N 43°07′47″E", 36 + 20 / 60 + 28 / 3600, 43 + 7 / 60 + 47 / 3600),
        ("36° 20' 28\" N, 43° 7' 47\" E", 36 + 20 / 60 + 28 / 3600, 43 + 7 / 60 + 47 / 3600),
        ("35°57′ с. ш. 39°01′ в. д.", 35 + 57 / 60, 39 + 1 / 60),
        ("36 درجة و20 دقيقة شمالا، 43 درجة و7 دقائق شرقا", 36 + 20 / 60, 43 + 7 / 60),
        ("۳۶ درجه ۲۰ دقیقه شمالی ۴۳ درجه ۷ دقیقه شرقی", 36 + 20 / 60, 43 + 7 / 60),
        ("33°30′S 70°40′W", -(33 + 30 / 60), -(70 + 40 / 60)),
    ],
)
def test_dms(text: str, lat: float, lon: float) -> None:
    assert _found(text) == [(round(lat, 4), round(lon, 4), "dms")]


@pytest.mark.parametrize("ref", ["38SMB4488069180", "38S MB 44880 69180", "38SMB 4488 6918"])
def test_mgrs(ref: str) -> None:
    expected = mgrs.MGRS().toLatLon(ref.replace(" ", ""))
    found = find_coordinates(normalise(f"grid {ref} confirmed"))
    assert len(found) == 1
    assert found[0].format == "mgrs"
    assert abs(found[0].lat - expected[0]) < 1e-5 and abs(found[0].lon - expected[1]) < 1e-5


@pytest.mark.parametrize(
    "text",
    [
        "the ratio was 2.5, 3.75",  # numbers, not a position
        "36.34, 43.13 per cent",  # two decimals without a cue
        "95.1234, 43.1234",  # latitude out of range
        "36°75′N 43°07′E",  # minutes >= 60
        "12.09.2015",  # a date
        "38SMB123",  # odd digit count
        "12 SEP 2015",  # looks like MGRS, is a date
        "38SZZ12345678",  # no such grid square
        "telephone 0770 123 4567",
    ],
)
def test_not_coordinates(text: str) -> None:
    assert _found(text) == []


def test_span_points_into_original_text() -> None:
    text = "الإحداثيات ٣٥٫٩٥٢٨ ، ٣٩٫٠١٢٤ قرب الرقة"
    (coord,) = find_coordinates(normalise(text))
    assert text[coord.span[0] : coord.span[1]] == "٣٥٫٩٥٢٨ ، ٣٩٫٠١٢٤"


@given(st.floats(-89.9999, 89.9999), st.floats(-179.9999, 179.9999))
def test_decimal_round_trip(lat: float, lon: float) -> None:
    ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
    text = f"position {abs(lat):.4f}{ns} {abs(lon):.4f}{ew}"
    (coord,) = find_coordinates(normalise(text))
    assert abs(coord.lat - float(f"{lat:.4f}")) < 1e-6
    assert abs(coord.lon - float(f"{lon:.4f}")) < 1e-6


@given(st.floats(-79.9, 83.9), st.floats(-179.9, 179.9), st.integers(1, 5))
@example(-25.0, 0.0, 2)  # 31JAN9731
def test_mgrs_round_trip(lat: float, lon: float, precision: int) -> None:
    ref = mgrs.MGRS().toMGRS(lat, lon, MGRSPrecision=precision)
    if isinstance(ref, bytes):
        ref = ref.decode()
    if len(ref) - 5 < 4:
        return  # precision 1 (10 km) is below what the parser accepts on purpose
    if ref[2:5].lower() in _MONTH_ABBR:
        # Band and square letters that spell a month ("31JAN9731") read as a date: refused on
        # purpose (found by hypothesis at -25, 0).
        assert find_coordinates(normalise(f"grid {ref}")) == []
        return
    try:
        expected = mgrs.MGRS().toLatLon(ref)
    except mgrs.core.MGRSError:
        # The library cannot read some of its own output (on the equator): neither can we.
        assert find_coordinates(normalise(f"grid {ref}")) == []
        return
    (coord,) = find_coordinates(normalise(f"grid {ref}"))
    assert abs(coord.lat - expected[0]) < 1e-5 and abs(coord.lon - expected[1]) < 1e-5


@given(st.text(alphabet="0123456789.,°′″'\" NSEW-", max_size=80))
def test_digit_soup_never_breaks_ranges(text: str) -> None:
    for coord in find_coordinates(normalise(text)):
        assert -90 <= coord.lat <= 90 and -180 <= coord.lon <= 180
        assert 0 <= coord.span[0] < coord.span[1] <= len(text)
