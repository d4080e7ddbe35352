"""A report's text cut into pieces, the extractor's findings marked (places, coordinates, dates)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

KIND_ORDER = {"coordinates": 0, "date": 1, "place": 2}


@dataclass(frozen=True)
class Piece:
    """A stretch of text; `kind` says what the extractor found there (None: plain text)."""

    text: str
    kind: str | None = None
    suggested: bool = False


def spans_of(extraction: dict[str, Any]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for key, kind in (("coordinates", "coordinates"), ("dates", "date"), ("places", "place")):
        for item in extraction.get(key, []):
            start, end = item["span"]
            out.append((int(start), int(end), kind))
    return out


def pieces(
    text: str, spans: Iterable[tuple[int, int, str]], suggested: Iterable[tuple[int, int]] = ()
) -> list[Piece]:
    """Non-overlapping marked pieces covering the whole text, in order.

    Where findings overlap (a place name inside a coordinate string) the longer one wins,
    then coordinates before dates before places. Spans outside the text are ignored."""
    chosen: list[tuple[int, int, str]] = []
    ordered = sorted(
        ((s, e, k) for s, e, k in spans if 0 <= s < e <= len(text)),
        key=lambda t: (-(t[1] - t[0]), KIND_ORDER.get(t[2], 9), t[0]),
    )
    for s, e, k in ordered:
        if all(e <= cs or s >= ce for cs, ce, _ in chosen):
            chosen.append((s, e, k))
    chosen.sort()
    marked = {(int(s), int(e)) for s, e in suggested}
    out: list[Piece] = []
    at = 0
    for s, e, k in chosen:
        if s > at:
            out.append(Piece(text[at:s]))
        out.append(Piece(text[s:e], k, (s, e) in marked))
        at = e
    if at < len(text):
        out.append(Piece(text[at:]))
    return out
