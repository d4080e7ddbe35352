"""Place mentions: gazetteer hits, clitic and boundary checks, homonym filtering, disambiguation."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from markaz.domain.normalise import Normalised
from markaz.processing.ambiguity import (
    HOME_COUNTRIES,
    HOMONYMS,
    LANGUAGE_ONLY,
    NEAR_CUES,
    PREP_CUES,
    SENTENCE_END,
    TYPE_CUES,
)
from markaz.processing.gazetteer import Gazetteer, Place
from markaz.processing.spans import SpanSet

# Arabic proclitics that may precede a name written solid: conjunction و/ف, preposition
# ب/ل/ك. The article is not among them: a name that takes it has it in its key (الموصل),
# and an article added to a bare name makes an adjective (روسية -> الروسية, "the Russian").
_AR_PREFIXES = frozenset(c + p for c in ("", "و", "ف") for p in ("", "ب", "ك", "ل"))
# ب glued on means "in"/"at", a preposition cue; ل ("for, to") precedes any verbal noun.
_AR_IN = ("ب", "وب", "فب")
_ARABIC_CHAR = re.compile("[\u0600-\u06ff]")
_PREV_WORDS = re.compile(r"([^\W\d_]+)[\s,]*$")

BIG_CITY = 100_000  # people; such a city is named more often than any homonym is used
TOWN = 15_000


@dataclass(frozen=True, slots=True)
class PlaceMention:
    place: Place
    matched: str
    span: tuple[int, int]

    def to_dict(self) -> dict[str, object]:
        p = self.place
        return {
            "name": p.name,
            "matched": self.matched,
            "geonameid": p.geonameid,
            "country": p.country,
            "lat": p.lat,
            "lon": p.lon,
            "span": [self.span[0], self.span[1]],
        }


@dataclass(slots=True)
class _Hit:
    start: int  # start of the name in normalised text (clitics excluded)
    end: int
    entry: int
    key: str
    arabic: bool
    clitic_prep: bool  # Arabic ب/ل glued on: itself a preposition cue
    candidates: list[Place]


def _word_start(text: str, pos: int) -> int:
    while pos > 0 and text[pos - 1].isalpha():
        pos -= 1
    return pos


def _raw_hits(gaz: Gazetteer, text: str) -> list[_Hit]:
    hits: list[_Hit] = []
    n = len(text)
    for start, end, entry in gaz.iter_matches(text):
        if end < n and (text[end].isalnum() or text[end] == "_"):
            continue
        key = text[start:end]
        if not key[0].isalpha() or not key[-1].isalpha():
            continue
        arabic = _ARABIC_CHAR.match(key) is not None
        ws = _word_start(text, start)
        prefix = text[ws:start]
        if prefix and (not arabic or prefix not in _AR_PREFIXES):
            continue
        if ws > 0 and text[ws - 1].isdigit():
            continue
        hits.append(_Hit(start, end, entry, key, arabic, prefix in _AR_IN, gaz.candidates(entry)))
    return hits


def _longest(hits: list[_Hit], length: int) -> list[_Hit]:
    """Leftmost-longest selection: "Deir ez-Zor" wins over "Deir" inside it."""
    taken = SpanSet(length)
    chosen = [
        h for h in sorted(hits, key=lambda h: (h.start - h.end, h.start)) if taken.try_take(h.start, h.end)
    ]
    chosen.sort(key=lambda h: h.start)
    return chosen


@dataclass(frozen=True, slots=True)
class _Evidence:
    type_cue: bool  # "village of", "قرية", "село" right before
    near_cue: bool  # "near", "north of", "قرب", "под"
    prep_cue: bool  # any preposition, near words included
    cap_ok: bool  # Arabic script, or capitalised Latin/Cyrillic
    initial: bool  # sentence-initial: a capital letter proves nothing


def _cues(text: str, start: int) -> tuple[bool, bool, bool]:
    """(type cue, near cue, preposition cue) from up to two words before ``start``."""
    window = text[max(0, start - 40) : start]
    words: list[str] = []
    for _ in range(2):
        m = _PREV_WORDS.search(window)
        if m is None:
            break
        words.append(m.group(1))
        window = window[: m.start()]
        if window.rstrip()[-1:] in (".", ";", "\n"):
            break
    if not words:
        return False, False, False
    first = _strip_clitic(words[0])
    second = _strip_clitic(words[1]) if len(words) == 2 else ""
    type_cue = first in TYPE_CUES
    # "north of X", "شمال مدينة X": the cue sits one word further back.
    near = first in NEAR_CUES or (second in NEAR_CUES and first in PREP_CUES | TYPE_CUES)
    prep = near or first in PREP_CUES or (second in PREP_CUES and first in TYPE_CUES)
    return type_cue, near, prep


def _strip_clitic(word: str) -> str:
    """ "بمدينة" -> "مدينه": a cue word keeps its meaning with a preposition glued on."""
    if word in PREP_CUES or word in TYPE_CUES or len(word) < 4:
        return word
    if word[0] in "وبلفك" and (word[1:] in TYPE_CUES or word[1:] in PREP_CUES):
        return word[1:]
    return word


def _capital_evidence(original: str, start: int) -> tuple[bool, bool]:
    """(capitalised, sentence-initial) for a Latin or Cyrillic name in the original text."""
    first = original[start] if start < len(original) else ""
    capitalised = first.isupper()
    i = start - 1
    while i >= 0 and original[i] in " \t":
        i -= 1
    initial = i < 0 or original[i] in SENTENCE_END
    return capitalised, initial


def _dominant(best: Place, candidates: list[Place]) -> bool:
    """No candidate in another country comes within a tenth of the best one's size."""
    if best.is_country:
        return True
    return all(p.country == best.country or p.population * 10 <= best.population for p in candidates)


def _rank(place: Place, context: set[str]) -> tuple[bool, float]:
    """Countries first; then size on a log scale, lifted for the text's region and home.

    Context outweighs a ratio of 100 in population, home a ratio of 10: Tripoli next to
    Benghazi is Libyan, alone it is Lebanese, and Mashhad next to Afghanistan is still
    the Iranian city of two million rather than an Afghan hamlet.
    """
    size = math.log10((place.population or TOWN) + 10)
    return place.is_country, size + 2.0 * (place.country in context) + (place.country in HOME_COUNTRIES)


def find_places(gaz: Gazetteer, norm: Normalised, language: str | None = None) -> list[PlaceMention]:
    text = norm.text.replace("-", " ")  # hyphens join name parts: "Deir ez-Zor"
    hits = [
        h for h in _longest(_raw_hits(gaz, text), len(text)) if LANGUAGE_ONLY.get(h.key, language) == language
    ]
    if not hits:
        return []
    all_lower = not any(c.isupper() for c in norm.original)
    facts: list[tuple[_Hit, _Evidence]] = []
    for h in hits:
        type_cue, near_cue, prep_cue = _cues(text, h.start)
        if h.arabic:
            cap_ok, initial = True, False
        else:
            cap, initial = _capital_evidence(norm.original, norm.span(h.start, h.end)[0])
            cap_ok = cap or all_lower
        facts.append(
            (h, _Evidence(type_cue, near_cue or h.clitic_prep, prep_cue or h.clitic_prep, cap_ok, initial))
        )

    # Pass 1: anchors are hits that stand on their own (countries, big cities) and whose
    # country is clear; their countries say which region the text is about.
    anchors: list[tuple[int, str]] = []
    for i, (h, ev) in enumerate(facts):
        best = max(h.candidates, key=lambda p: _rank(p, set()))
        if _accept(h, best, ev, supported=False) and _dominant(best, h.candidates):
            anchors.append((i, best.country))

    counts = Counter(country for _, country in anchors)
    own = dict(anchors)
    mentions: list[PlaceMention] = []
    for i, (h, ev) in enumerate(facts):
        # A hit never supports itself: only the other places in the text set the context.
        context = {c for c, n in counts.items() if n > (1 if own.get(i) == c else 0)}
        best = max(h.candidates, key=lambda p: _rank(p, context))
        if not _accept(h, best, ev, supported=best.country in context):
            continue
        o_start, o_end = norm.span(h.start, h.end)
        mentions.append(PlaceMention(best, norm.original[o_start:o_end], (o_start, o_end)))
    return mentions


def _accept(h: _Hit, best: Place, ev: _Evidence, *, supported: bool) -> bool:
    """The homonym policy; see docs/processing.md, "Ambiguity"."""
    if not ev.cap_ok:
        return False  # lower-case Latin/Cyrillic: "mobile", "мир", "turkey"
    if h.key in HOMONYMS:
        return ev.type_cue or (ev.near_cue and supported)
    if best.is_country:
        return True
    # Population 0 in the detailed layer marks an administrative seat without a census
    # figure (Tall Afar, Al Qayyarah): treat it as a town, not a hamlet.
    pop = best.population or TOWN
    if h.arabic:
        # Outside the home countries Arabic-script names are transliterations that collide
        # with Arabic words; a country mention (الولايات المتحدة) does not vouch for them.
        if best.country not in HOME_COUNTRIES:
            return pop >= BIG_CITY and (ev.type_cue or ev.prep_cue)
        letters = len(h.key.replace(" ", ""))
        if letters <= 3:  # three-letter roots are mostly words too
            return ev.type_cue or (ev.prep_cue and pop >= BIG_CITY)
        if pop >= BIG_CITY:
            return True
        # Longer names (five letters and up, or two words) rarely double as words; they
        # need one piece of evidence, shorter ones two.
        distinctive = letters >= 5 or " " in h.key
        if pop >= TOWN:
            return ev.type_cue or (ev.prep_cue and supported) or (distinctive and (ev.prep_cue or supported))
        return ev.type_cue or (ev.near_cue and supported)
    # Latin and Cyrillic: a capital letter mid-sentence already marks a proper noun.
    home = best.country in HOME_COUNTRIES or supported
    if pop >= BIG_CITY:
        return not ev.initial or ev.prep_cue or supported or pop >= 1_000_000
    if pop >= TOWN:
        return ev.type_cue or (not ev.initial and (ev.prep_cue or home)) or (ev.prep_cue and supported)
    return ev.type_cue or (ev.near_cue and supported) or (supported and ev.prep_cue and not ev.initial)
