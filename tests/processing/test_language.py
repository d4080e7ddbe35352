"""Language identification over the centre's languages, including mixed and letterless text."""

from __future__ import annotations

import pytest

from markaz.processing.language import detect_language


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("وصل الوفد إلى بغداد صباح اليوم للمشاركة في الاجتماع", "ar"),
        ("هیئت روسی امروز برای شرکت در نشست به تهران رسید", "fa"),
        ("Российская делегация прибыла в Багдад", "ru"),
        ("The delegation arrived in Baghdad this morning", "en"),
        ("La délégation est arrivée à Bagdad ce matin pour la réunion", "fr"),
        ("Heyet bu sabah toplantı için Bağdat'a ulaştı", "tr"),
        ("Мосул (الموصل) был освобожден в июле", "ru"),  # mixed script: most letters decide
    ],
)
def test_languages(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize("text", ["", "   ", "12345 678", "!!! ??? ...", "\x00\x01\x02"])
def test_undeterminable(text: str) -> None:
    assert detect_language(text) is None
