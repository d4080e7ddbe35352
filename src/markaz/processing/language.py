"""Language identification: script and letter shortcuts first, lingua only when they cannot tell."""

from __future__ import annotations

import functools
import re
from typing import Any

# Letters only Persian uses (پ چ ژ گ, Persian kaf and yeh) against letters only Arabic uses
# (teh marbuta, Arabic yeh and kaf, alef maksura). Most texts settle on these alone.
_PERSIAN_LETTERS = re.compile("[پچژگکی]")
_ARABIC_LETTERS = re.compile("[ةيكى]")
_PERSIAN_WORDS = re.compile(r"(?<!\S)(?:است|این|را|که|می|با|از|برای|در|های|شده|کرد|بود)(?!\S)")
_ARABIC_WORDS = re.compile(r"(?<!\S)(?:في|من|على|إلى|الى|التي|الذي|عن|مع|هذا|هذه|كان|أن)(?!\S)")
_LATIN_WORDS = {
    lang: frozenset(words.split(" "))
    for lang, words in (
        ("en", "the and of to in is was for on with that by from at are this"),
        ("fr", "le la les des et est du une dans pour que sur au aux par qui"),
        ("tr", "ve bir bu için ile da de olarak olan çok gibi daha kadar"),
    )
}
_TURKISH_LETTERS = re.compile("[ğışİĞŞ]")
_FRENCH_LETTERS = re.compile("[éèêàçùâîôœë]")
_LATIN_WORD = re.compile(r"[a-zA-ZÀ-ɏ]+")


def _script_counts(text: str) -> tuple[int, int, int]:
    arabic = cyrillic = latin = 0
    for ch in text:
        if "\u0600" <= ch <= "\u06ff" or "\ufb50" <= ch <= "\ufeff":
            arabic += ch.isalpha()
        elif "\u0400" <= ch <= "\u04ff":
            cyrillic += 1
        elif ch.isalpha() and ch < "\u0250":
            latin += 1
    return arabic, cyrillic, latin


@functools.lru_cache(maxsize=1)
def _latin_detector() -> Any:
    # Only the Latin-script languages the centre reads: a smaller model set loads faster
    # and cannot answer with a language nobody asked about.
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.FRENCH, Language.TURKISH).build()


_LINGUA_CODES = {"ENGLISH": "en", "FRENCH": "fr", "TURKISH": "tr"}


def _arabic_or_persian(text: str) -> str:
    fa = len(_PERSIAN_LETTERS.findall(text)) + 3 * len(_PERSIAN_WORDS.findall(text))
    ar = len(_ARABIC_LETTERS.findall(text)) + 3 * len(_ARABIC_WORDS.findall(text))
    return "fa" if fa > ar else "ar"


def _latin_language(text: str) -> str | None:
    words = [w.lower() for w in _LATIN_WORD.findall(text[:4000])]
    scores = {lang: sum(1 for w in words if w in vocab) for lang, vocab in _LATIN_WORDS.items()}
    scores["tr"] += 2 * len(_TURKISH_LETTERS.findall(text[:4000]))
    scores["fr"] += len(_FRENCH_LETTERS.findall(text[:4000]))
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if ranked[0][1] >= 2 and ranked[0][1] >= 2 * ranked[1][1]:
        return ranked[0][0]
    found = _latin_detector().detect_language_of(text[:4000])
    return None if found is None else _LINGUA_CODES.get(found.name)


def detect_language(text: str) -> str | None:
    """BCP 47 code of the text's main language, or None for empty or letterless input."""
    sample = text[:20000]  # the opening is enough; a 1 MB text costs no more than 20 kB
    arabic, cyrillic, latin = _script_counts(sample)
    total = arabic + cyrillic + latin
    if total < 3:
        return None
    # Mixed-script text: the script with most letters decides ("Мосул (الموصل)" is Russian).
    if arabic >= cyrillic and arabic >= latin:
        return _arabic_or_persian(sample)
    if cyrillic >= latin:
        return "ru"
    if latin < 4:
        return None
    return _latin_language(sample)
