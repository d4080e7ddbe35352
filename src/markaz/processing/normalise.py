"""Text normalisation so Arabic and Persian letter variants, diacritics and digits match."""

from __future__ import annotations

import re
import unicodedata

_TRANSLATE = str.maketrans(
    {
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
        "ؤ": "و", "ئ": "ي", "ى": "ي", "ی": "ي", "ې": "ي", "ۍ": "ي",
        "ک": "ك", "ڪ": "ك", "ة": "ه", "ۀ": "ه", "ہ": "ه", "ھ": "ه",
        "ـ": None, "\u200c": " ", "\u200d": None, "\u200e": None, "\u200f": None,
        "٫": ".", "٬": ",", "،": ",", "؛": ";", "ё": "е", "Ё": "Е",
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
    }
)
# Arabic harakat, tanwin, shadda, sukun, superscript alef and Quranic marks.
_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_SPACES = re.compile(r"\s+")


def normalise_for_search(text: str) -> str:
    """Fold letter variants, strip diacritics, unify digits, casefold; collapse whitespace."""
    text = unicodedata.normalize("NFKC", text)
    text = _DIACRITICS.sub("", text).translate(_TRANSLATE).casefold()
    return _SPACES.sub(" ", text).strip()
