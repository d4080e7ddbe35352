"""Multilingual text to places, coordinates, dates and kinds of activity (pure library)."""

from __future__ import annotations

from markaz.domain.normalise import normalise_for_search
from markaz.processing.extractor import ExtractionResult, Extractor, extract, get_extractor

__all__ = ["ExtractionResult", "Extractor", "extract", "get_extractor", "normalise_for_search"]
