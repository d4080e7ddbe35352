"""Kinds of activity from keywords in four languages, including Russian inflection."""

from __future__ import annotations

import pytest

from markaz.domain.normalise import normalise
from markaz.processing.categories import CATEGORIES, find_categories


def _cats(text: str) -> list[str]:
    return find_categories(normalise(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("إحداثيات مواقع تنظيم داعش", ["position"]),
        ("أماكن تجمع الإرهابيين", ["gathering"]),
        ("ومراكز القيادة", ["command_post"]),
        ("مستودعات الأسلحة", ["weapons_depot"]),
        ("ومختبرات صناعة الأسلحة الكيميائية", ["chemical_lab"]),
        ("مسارات تحركات المجموعات المسلحة", ["movement"]),
        ("تهريب النفط", ["smuggling_route"]),
        ("غارات جوية وقصف مدفعي", ["incident"]),
        ("انبار مهمات منفجر شد", ["incident", "weapons_depot"]),
        ("قاچاق سوخت", ["smuggling_route"]),
        ("Склады оружия и складов боеприпасов", ["weapons_depot"]),
        ("по складу боеприпасов", ["weapons_depot"]),
        ("Скопление боевиков", ["gathering"]),
        ("Командный пункт", ["command_post"]),
        ("Химическая лаборатория", ["chemical_lab"]),
        ("Fighters are massing near the arms depot", ["gathering", "weapons_depot"]),
        ("a chemical weapons laboratory", ["chemical_lab"]),
        ("The checkpoint was attacked", ["incident", "other"]),
    ],
)
def test_keywords(text: str, expected: list[str]) -> None:
    assert _cats(text) == expected


def test_suppressed_readings() -> None:
    # "تجمعات سكنية" are residential areas, not gatherings of fighters.
    assert _cats("ولم نقم بضرب تجمعات سكنية") == ["incident"]


def test_words_inside_other_words_do_not_count() -> None:
    assert _cats("unclashed reattached misconvoyed") == []
    assert _cats("") == []


def test_output_is_sorted_subset() -> None:
    found = _cats("convoy attacked near the headquarters and the weapons depot, coordinates")
    assert found == sorted(found) and set(found) <= set(CATEGORIES)
