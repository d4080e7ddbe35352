"""The whole extraction: result shape, spans, hostile input, fuzzing, and the evaluation set."""

from __future__ import annotations

import os
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from markaz.processing import Extractor, extract
from tests.processing.score import DIMENSIONS, load_eval, score

KEYS = ["language", "places", "coordinates", "dates", "categories"]


def test_result_shape(extractor: Extractor) -> None:
    text = "رصد تجمع قرب الموصل في 12/09/2015 عند 36.3412 شمالاً و43.1297 شرقاً"
    result = extractor.extract(text).to_dict()
    assert list(result) == KEYS
    assert result["language"] == "ar"
    (place,) = result["places"]
    assert list(place) == ["name", "matched", "geonameid", "country", "lat", "lon", "span"]
    assert place["geonameid"] == 99072 and place["country"] == "IQ"
    assert text[place["span"][0] : place["span"][1]] == place["matched"] == "الموصل"
    (coord,) = result["coordinates"]
    assert list(coord) == ["lat", "lon", "format", "span"]
    (date,) = result["dates"]
    start = text.index("12/09/2015")
    assert date == {
        "date": "2015-09-12",
        "precision": "day",
        "calendar": "gregorian",
        "span": [start, start + 10],
    }
    assert result["categories"] == ["gathering"]


def test_module_level_extract_uses_the_cache_dir(extractor: Extractor, cache_dir: object) -> None:
    assert extract("Mosul", cache_dir=cache_dir)["places"][0]["geonameid"] == 99072  # type: ignore[arg-type]


def test_empty_text(extractor: Extractor) -> None:
    assert extractor.extract("").to_dict() == {
        "language": None,
        "places": [],
        "coordinates": [],
        "dates": [],
        "categories": [],
    }
    assert extractor.extract(" \n\t ").to_dict()["language"] is None


def test_only_digits(extractor: Extractor) -> None:
    result = extractor.extract("1234567890 " * 1000).to_dict()
    assert result["language"] is None and result["places"] == []


def test_binary_garbage_returns(extractor: Extractor) -> None:
    garbage = random.Random(7).randbytes(200_000).decode("latin-1")
    result = extractor.extract(garbage).to_dict()
    assert list(result) == KEYS


def test_one_megabyte_returns(extractor: Extractor) -> None:
    paragraph = (
        "Coalition aircraft struck a weapons depot in Raqqa at 35.9528, 39.0124 "
        "on 12/09/2015. وقع انفجار في الفلوجة. Взрыв в Дамаске. "
    )
    text = paragraph * (1_000_000 // len(paragraph))
    result = extractor.extract(text).to_dict()
    assert len(result["places"]) >= 1000


def test_random_bytes_as_utf8(extractor: Extractor) -> None:
    data = os.urandom(50_000).decode("utf-8", errors="replace")
    assert list(extractor.extract(data).to_dict()) == KEYS


@settings(max_examples=200)
@given(st.text(max_size=400))
def test_random_unicode_never_crashes(extractor: Extractor, text: str) -> None:
    result = extractor.extract(text).to_dict()
    total = sum(len(result[k]) for k in ("places", "coordinates", "dates"))
    assert total <= len(text)  # every finding covers at least one character
    for kind in ("places", "coordinates", "dates"):
        for item in result[kind]:
            start, end = item["span"]
            assert 0 <= start < end <= len(text)


@given(st.text(alphabet="0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹.,/-° NSEW", max_size=200))
def test_random_digit_strings(extractor: Extractor, text: str) -> None:
    result = extractor.extract(text).to_dict()
    assert result["places"] == []


def test_evaluation_set_f1(extractor: Extractor) -> None:
    items = load_eval()
    assert len(items) >= 150
    assert {i["id"].split("-")[0] for i in items} == {"ar", "fa", "ru", "en"}
    report = score(extractor, items)
    for dim in ("places", "coordinates", "dates"):
        assert report[dim]["f1"] >= 0.85, (dim, report[dim])
    assert set(DIMENSIONS) <= set(report)
