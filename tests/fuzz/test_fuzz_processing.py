"""Fuzzing the text extractor and its parsers (coordinates, MGRS, dates): no crash, sane output.

Hypothesis generates text from the alphabets the extractor reads (Arabic, Persian, Russian,
Latin letters, Arabic-Indic and Persian digits, degree and minute signs, hemispheres, month
names, calendar markers) mixed with arbitrary Unicode, plus shaped near-misses of each
format. Speed is measured by bench/fuzz_inputs.py; the adversarial 100 KB inputs below also
run here, so a regex that backtracks catastrophically shows up as a hung test, not in
production.
"""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from markaz.domain.normalise import normalise, normalise_for_search
from markaz.processing import Extractor
from markaz.processing.coordinates import find_coordinates
from markaz.processing.dates import find_dates, to_gregorian

PIECES = [
    "35.9528",
    "39.0124",
    "35°57'10\"N",
    "39°00'44\"E",
    "N 35 57.2",
    "E39 0.7",
    "37SEV",
    "37S EV 12345 67890",
    "38SMB4484",
    "٣٥٫٩٥",
    "۳۵.۹۵",
    "°",
    "′",
    "″",
    "'",
    '"',
    "N",
    "S",
    "E",
    "W",
    "ش",
    "ج",
    "شمالا",
    "شرقا",
    "12/09/2015",
    "2015-09-12",
    "١٤٣٦/١١/٢٨",
    "۱۳۹۴/۰۶/۲۱",
    "هـ",
    "ه.ش",
    "ش.",
    "م",
    "г.",
    "сентября",
    "أيلول",
    "سبتمبر",
    "شهریور",
    "ذو الحجة",
    "محرم",
    "رمضان",
    "January",
    "Sept",
    "1436",
    "1394",
    "2015",
    "الرقة",
    "دير الزور",
    "الموصل",
    "حلب",
    "Ракка",
    "Пальмира",
    "رقه",
    "Raqqa",
    "Mosul",
    "قافلة",
    "مستودع",
    "convoy",
    "depot",
    "\u200c",
    "\u200f",
    "\u064b",
    "ـ",
    "-",
    "/",
    ".",
    ",",
    ":",
    " ",
    "\n",
    "0",
    "9",
    "99999",
]
TEXT = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=60).map("".join)


def _check(text: str, extractor: Extractor) -> None:
    result = extractor.extract(text)
    n = len(text)
    for c in result.coordinates:
        assert -90 <= c.lat <= 90 and -180 <= c.lon <= 180, c
        assert 0 <= c.span[0] <= c.span[1] <= n, c
    for d in result.dates:
        assert 0 <= d.span[0] <= d.span[1] <= n, d
        assert d.date[:4].isdigit(), d
    for p in result.places:
        span = p.to_dict().get("span")
        if span:
            assert 0 <= span[0] <= span[1] <= n, p
    result.to_dict()


@settings(max_examples=400)
@given(text=TEXT)
def test_extractor_never_crashes(text: str, extractor: Extractor) -> None:
    _check(text, extractor)


@settings(max_examples=200)
@given(text=st.text(max_size=300))
def test_extractor_on_any_unicode(text: str, extractor: Extractor) -> None:
    _check(text, extractor)


@settings(max_examples=300)
@given(text=TEXT)
def test_coordinate_and_date_parsers_alone(text: str) -> None:
    norm = normalise(text)
    assert len(norm.span(0, len(norm.text))) == 2
    for c in find_coordinates(norm):
        assert -90 <= c.lat <= 90 and -180 <= c.lon <= 180
    find_dates(norm)
    normalise_for_search(text)


@given(
    calendar=st.sampled_from(["gregorian", "hijri", "solar_hijri", "persian", "other"]),
    year=st.integers(-10_000, 100_000),
    month=st.integers(-5, 20),
    day=st.integers(-5, 40),
)
def test_calendar_conversion_is_total(calendar: str, year: int, month: int, day: int) -> None:
    # A date that does not exist in its calendar is None, never an exception.
    result = to_gregorian(calendar, year, month, day)
    assert result is None or 1 <= result.year <= 9999


UNITS = {
    "digits": "1",
    "dotted digits": "1.",
    "degrees": "35°",
    "dms without end": "35°57'",
    "hemisphere soup": "N 35 E ",
    "mgrs-like": "37SEV",
    "dates": "12/09/",
    "arabic digits": "٣٥٫",
    "one long word": "الرقة",
    "spaces": " ",
    "mixed": "قافلة 35.95, 39.01 12/09/2015 Raqqa ",
}
ADVERSARIAL = {name: (unit * (100_000 // len(unit) + 1))[:100_000] for name, unit in UNITS.items()}


def test_adversarial_100_kb_inputs_finish(extractor: Extractor) -> None:
    # The target is under a second each (bench/fuzz_inputs.py measures it); the bound here is
    # generous because the machine is shared: it exists to catch catastrophic backtracking,
    # which takes minutes to hours, not to time the extractor.
    for name, text in ADVERSARIAL.items():
        started = time.perf_counter()
        _check(text, extractor)
        assert time.perf_counter() - started < 15, name
