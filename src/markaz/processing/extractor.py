"""The extraction engine: one Extractor holds the compiled gazetteer; extract() runs every step."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markaz.domain.normalise import normalise
from markaz.processing.categories import find_categories
from markaz.processing.coordinates import Coordinate, find_coordinates
from markaz.processing.dates import DateMention, find_dates
from markaz.processing.gazetteer import Gazetteer
from markaz.processing.gazetteer_cache import load_gazetteer
from markaz.processing.language import detect_language
from markaz.processing.places import PlaceMention, find_places

# Reports are paragraphs to pages; beyond this the tail is not read, so a pasted log or a
# hostile 100 MB body costs bounded time. 2 MB of text is about 600 pages.
MAX_CHARS = 2_000_000


@dataclass(frozen=True, slots=True)
class ExtractionResult:
    language: str | None
    places: list[PlaceMention] = field(default_factory=list)
    coordinates: list[Coordinate] = field(default_factory=list)
    dates: list[DateMention] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "places": [p.to_dict() for p in self.places],
            "coordinates": [c.to_dict() for c in self.coordinates],
            "dates": [d.to_dict() for d in self.dates],
            "categories": list(self.categories),
        }


class Extractor:
    """Extraction with a loaded gazetteer; build once (see get_extractor), call many times."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer

    @classmethod
    def load(cls, cache_dir: Path | None = None) -> Extractor:
        return cls(load_gazetteer(cache_dir))

    def extract(self, text: str) -> ExtractionResult:
        if not isinstance(text, str):
            raise TypeError(f"text must be str, not {type(text).__name__}")
        text = text[:MAX_CHARS]
        if not text.strip():
            return ExtractionResult(language=None)
        norm = normalise(text)
        coordinates = find_coordinates(norm)
        dates = find_dates(norm)
        # Digits inside coordinates and dates are never place names, but the gazetteer keys
        # carry no digits anyway, so places run on the same normalised text.
        language = detect_language(text)
        return ExtractionResult(
            language=language,
            places=find_places(self.gazetteer, norm, language),
            coordinates=coordinates,
            dates=dates,
            categories=find_categories(norm),
        )


_extractors: dict[Path | None, Extractor] = {}
_loading = threading.Lock()


def get_extractor(cache_dir: Path | None = None) -> Extractor:
    """The shared Extractor for a cache directory, built or loaded once per process.

    Threads that ask while it loads wait for that one load: the server's worker loads it at
    start, and a report entered meanwhile must not start a second build (about 300 MB and,
    without a compiled cache, 10-15 s of CPU competing with the first).
    """
    found = _extractors.get(cache_dir)
    if found is not None:
        return found
    with _loading:
        found = _extractors.get(cache_dir)
        if found is None:
            found = _extractors[cache_dir] = Extractor.load(cache_dir)
        return found


def extract(text: str, cache_dir: Path | None = None) -> dict[str, Any]:
    """Extract places, coordinates, dates, categories and language from ``text`` as a dict."""
    return get_extractor(cache_dir).extract(text).to_dict()
