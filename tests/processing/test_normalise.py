"""Normalisation: letter variants, digits, case, and the offset map back to the original."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from markaz.domain.normalise import normalise, normalise_for_search


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("أإآٱا", "ااااا"),  # alef forms
        ("مؤتمر رئيس", "موتمر رييس"),  # hamza carriers
        ("ى ي ی", "ي ي ي"),  # alef maksura, Arabic and Persian yeh
        ("ك ک", "ك ك"),
        ("مدينة", "مدينه"),  # teh marbuta
        ("مــوصــل", "موصل"),  # tatweel
        ("المَوْصِلُ", "الموصل"),  # harakat
        ("می‌کند", "مي كند"),  # ZWNJ becomes a space
        ("٣٦٫٣٤ ۱۳۹۵", "36.34 1395"),  # Arabic-Indic and Persian digits, decimal separator
        ("Ёлка ЁЖ", "елка еж"),
        ("Mossoul ḨALAB Şam İzmir", "mossoul halab sam izmir"),
        ("ﻻ", "لا"),  # presentation-form ligature
    ],
)
def test_folds(raw: str, expected: str) -> None:
    assert normalise(raw).text == expected


def test_persian_and_arabic_spellings_meet() -> None:
    assert normalise("کرمانشاه").text == normalise("كرمانشاه").text
    assert normalise("سوریه").text == normalise("سورية").text


def test_search_form_collapses_whitespace() -> None:
    assert normalise_for_search("  بغداد\n\tو   الموصل ") == "بغداد و الموصل"


def test_offsets_map_back_through_deleted_marks() -> None:
    raw = "في المَوْصِلِ اليوم"
    norm = normalise(raw)
    start = norm.text.index("الموصل")
    o_start, o_end = norm.span(start, start + len("الموصل"))
    assert raw[o_start:o_end] == "المَوْصِلِ"


def test_offsets_identity_when_nothing_is_dropped() -> None:
    norm = normalise("Mosul 36.34")
    assert norm.offsets is None
    assert norm.span(0, 5) == (0, 5)


@given(st.text(max_size=200))
def test_offsets_are_monotonic_and_in_range(raw: str) -> None:
    norm = normalise(raw)
    if norm.offsets is None:
        assert len(norm.text) == len(raw)
        return
    assert len(norm.offsets) == len(norm.text)
    assert all(0 <= o < len(raw) for o in norm.offsets)
    assert norm.offsets == sorted(norm.offsets)
