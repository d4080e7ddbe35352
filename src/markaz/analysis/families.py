"""Which observations fuse with which: category families, status tags in notes, subject keys."""

from __future__ import annotations

import re
from typing import Any

from anyascii import anyascii

from markaz.domain.enums import Category
from markaz.domain.normalise import normalise_text

SITE = "site"
TRACK = "track"

# Observations fuse only within a family. Members describe the same installation with
# different words (one calls it a depot, another a command post), so installations form one
# family; where forces are and where they gather form another. Movements of armed groups and
# routes of smuggled oil are different things and never join each other.
FAMILIES: dict[Category, str] = {
    Category.POSITION: "presence",
    Category.GATHERING: "presence",
    Category.COMMAND_POST: "installation",
    Category.WEAPONS_DEPOT: "installation",
    Category.CHEMICAL_LAB: "installation",
    Category.INCIDENT: "incident",
    Category.MOVEMENT: "movement",
    Category.SMUGGLING_ROUTE: "smuggling",
}
TRACK_FAMILIES = frozenset({"movement", "smuggling"})
SITE_FAMILIES = frozenset(f for f in FAMILIES.values() if f not in TRACK_FAMILIES)


_FAMILY_OF = {c.value: f for c, f in FAMILIES.items()}


def family_of(category: str) -> str | None:
    """The family of a category, or None for categories that are not fused (`other`)."""
    return _FAMILY_OF.get(category)


def kind_of(family: str) -> str:
    return TRACK if family in TRACK_FAMILIES else SITE


# The state of what was seen is written in the observation's note as a tag, `status:destroyed`,
# `status:abandoned` or `status:active`, so clients that do not know the tag keep working and
# nothing is guessed from free text.
STATUS_TAG = re.compile(r"(?<![\w:])status:(destroyed|abandoned|active)\b", re.IGNORECASE)
ENDED = frozenset({"destroyed", "abandoned"})


def status_of(note: str | None) -> str:
    """`destroyed`, `abandoned` or `active` (the default: a sighting reports something there)."""
    if note:
        found = STATUS_TAG.search(note)
        if found:
            return found.group(1).lower()
    return "active"


_VOWELS = re.compile(r"[aeiou]")
_NOT_LETTER = re.compile(r"[^a-z0-9]")
# Romanisations of the same sounds that differ between Russian, Arabic and Persian habits.
_DIGRAPHS = (("dzh", "j"), ("zh", "j"), ("kh", "h"), ("gh", "g"), ("q", "k"), ("'", ""))


def subject_key(subject: str | None) -> str | None:
    """A key under which names of the same group meet across scripts.

    The name is folded by the gazetteer's normalisation (letter variants, diacritics),
    transliterated to ASCII, and reduced to its consonants: Arabic script writes no short
    vowels, so "Jaysh al-Islam" and "جيش الإسلام" both become `jyshlslm`.
    """
    if not subject:
        return None
    text = anyascii(normalise_text(subject)).lower()
    for src, dst in _DIGRAPHS:
        text = text.replace(src, dst)
    key = _NOT_LETTER.sub("", _VOWELS.sub("", text))
    return key or None


def representative_point(geometry: dict[str, Any]) -> tuple[float, float]:
    """A site's point: a Point itself, otherwise the centre of the geometry's bounding box."""
    coords = geometry["coordinates"]
    if geometry["type"] == "Point":
        return float(coords[0]), float(coords[1])
    points = coords if geometry["type"] == "LineString" else [p for ring in coords for p in ring]
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    return (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2


MAX_SHAPE_POINTS = 64


def track_points(geometry: dict[str, Any]) -> list[tuple[float, float]]:
    """The positions a track observation puts its subject at (a line sampled to 64 vertices)."""
    coords = geometry["coordinates"]
    if geometry["type"] == "Point":
        return [(float(coords[0]), float(coords[1]))]
    points = coords if geometry["type"] == "LineString" else coords[0]
    step = max(1, -(-len(points) // MAX_SHAPE_POINTS))
    sampled = points[::step]
    if sampled[-1] is not points[-1]:
        sampled = [*sampled, points[-1]]
    return [(float(p[0]), float(p[1])) for p in sampled]
