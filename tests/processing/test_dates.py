"""Dates: numeric forms, month names in five languages, Hijri and Solar Hijri conversion."""

from __future__ import annotations

import datetime as dt

import jdatetime
import pytest
from hijridate import Hijri
from hypothesis import given
from hypothesis import strategies as st

from markaz.domain.normalise import normalise
from markaz.processing.dates import find_dates


def _found(text: str) -> list[tuple[str, str, str]]:
    return [(d.date, d.precision, d.calendar) for d in find_dates(normalise(text))]


def _solar(y: int, m: int, d: int) -> str:
    return str(jdatetime.date(y, m, d).togregorian().isoformat())


def _hijri(y: int, m: int, d: int) -> str:
    return str(Hijri(y, m, d).to_gregorian().isoformat())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on 2015-09-12 at dawn", ("2015-09-12", "day", "gregorian")),
        ("12/09/2015", ("2015-09-12", "day", "gregorian")),  # day first
        ("report of 12.09.2015.", ("2015-09-12", "day", "gregorian")),
        ("September 12, 2015", ("2015-09-12", "day", "gregorian")),
        ("12 September 2015", ("2015-09-12", "day", "gregorian")),
        ("September 2015", ("2015-09", "month", "gregorian")),
        ("le 12 septembre 2015", ("2015-09-12", "day", "gregorian")),
        ("12 Eylül 2015", ("2015-09-12", "day", "gregorian")),
        ("12 أيلول 2015", ("2015-09-12", "day", "gregorian")),
        ("12 سبتمبر 2015", ("2015-09-12", "day", "gregorian")),
        ("23 كانون الثاني 2017", ("2017-01-23", "day", "gregorian")),
        ("سبتمبر/ أيلول، عام 2015", ("2015-09", "month", "gregorian")),
        ("۲۳ ژانویه ۲۰۱۷", ("2017-01-23", "day", "gregorian")),
        ("ماه اکتبر سال ۲۰۱۶", ("2016-10", "month", "gregorian")),
        ("12 сентября 2015 г.", ("2015-09-12", "day", "gregorian")),
        ("в сентябре 2015 года", ("2015-09", "month", "gregorian")),
        ("январь 2016", ("2016-01", "month", "gregorian")),
        ("с января 2016 года", ("2016-01", "month", "gregorian")),
        ("in 2015", ("2015", "year", "gregorian")),
        ("عام 2015", ("2015", "year", "gregorian")),
        ("в 2015 году", ("2015", "year", "gregorian")),
    ],
)
def test_gregorian(text: str, expected: tuple[str, str, str]) -> None:
    assert _found(text) == [expected]


@pytest.mark.parametrize(
    ("text", "y", "m", "d"),
    [
        ("۱۳۹۵/۱۲/۰۶", 1395, 12, 6),
        ("۶ اسفند ۱۳۹۵", 1395, 12, 6),
        ("۱۴ مهر ۱۳۹۶", 1396, 7, 14),
        ("1395/02/15 ه.ش", 1395, 2, 15),
    ],
)
def test_solar_hijri(text: str, y: int, m: int, d: int) -> None:
    assert _found(text) == [(_solar(y, m, d), "day", "solar_hijri")]


def test_esfand_6_1395_is_24_february_2017() -> None:
    assert _found("۶ اسفند ۱۳۹۵") == [("2017-02-24", "day", "solar_hijri")]


def test_solar_month_and_year() -> None:
    assert _found("بهمن ۱۳۹۵") == [(_solar(1395, 11, 1)[:7], "month", "solar_hijri")]
    assert _found("سال ۱۳۹۴") == [(_solar(1394, 1, 1)[:4], "year", "solar_hijri")]


@pytest.mark.parametrize(
    ("text", "y", "m", "d"),
    [
        ("15 رمضان 1436 هـ", 1436, 9, 15),
        ("1 محرم 1437 ه", 1437, 1, 1),
        ("10 ذو الحجة 1436هـ", 1436, 12, 10),
        ("1438/06/15 هـ", 1438, 6, 15),
        ("1438/06/15 AH", 1438, 6, 15),
    ],
)
def test_hijri(text: str, y: int, m: int, d: int) -> None:
    assert _found(text) == [(_hijri(y, m, d), "day", "hijri")]


def test_hijri_month_precision() -> None:
    assert _found("رمضان 1436 هـ") == [(_hijri(1436, 9, 1)[:7], "month", "hijri")]


@pytest.mark.parametrize(
    "text",
    [
        "the 2015 budget",  # a year without a cue
        "31/02/2015",  # no such day
        "۲۴ فوریه",  # day and month without a year: not an ISO date
        "36.3412, 43.1297",
        "2500 fighters and 1200 vehicles",
        "version 1.2.3",
        "13/13/2015",
    ],
)
def test_not_dates(text: str) -> None:
    assert _found(text) == []


@given(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)))
def test_numeric_round_trip(day: dt.date) -> None:
    text = f"on {day.day:02d}/{day.month:02d}/{day.year}"
    assert _found(text) == [(day.isoformat(), "day", "gregorian")]


@given(st.integers(1300, 1450), st.integers(1, 12), st.integers(1, 29))
def test_solar_round_trip(y: int, m: int, d: int) -> None:
    assert _found(f"{y}/{m:02d}/{d:02d}") == [(_solar(y, m, d), "day", "solar_hijri")]


@given(st.text(alphabet="0123456789/.- ", max_size=60))
def test_digit_strings_give_valid_dates(text: str) -> None:
    for found in find_dates(normalise(text)):
        if found.precision == "day":
            assert 1900 <= dt.date.fromisoformat(found.date).year <= 2200
        assert 0 <= found.span[0] < found.span[1] <= len(text)
