"""Checks on user-supplied text that would otherwise display misleadingly."""

from __future__ import annotations

import re

# C0/C1 controls except tab, newline and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Bidirectional embeddings, overrides and isolates can make a name read as something else
# (the "Trojan Source" trick); right-to-left text needs none of them to display correctly.
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
_BIDI_OVERRIDE = re.compile("[\u202d\u202e]")


def check_label(value: str, what: str) -> str:
    """A one-line label (title, name, subject): no controls, no bidi controls, not blank."""
    if _CONTROL.search(value) or "\n" in value or "\r" in value or "\t" in value:
        raise ValueError(f"{what} may not contain control characters or line breaks")
    if _BIDI_CONTROL.search(value):
        raise ValueError(
            f"{what} may not contain bidirectional control characters (U+202A-U+202E, "
            "U+2066-U+2069); right-to-left text displays correctly without them"
        )
    if not value.strip():
        raise ValueError(f"{what} may not be blank")
    return value


def check_free_text(value: str, what: str) -> str:
    """Multi-line text (report body, note): line breaks allowed, other controls and overrides not."""
    if _CONTROL.search(value):
        raise ValueError(f"{what} may not contain control characters other than tab and newline")
    if _BIDI_OVERRIDE.search(value):
        raise ValueError(f"{what} may not contain bidirectional override characters (U+202D, U+202E)")
    return value
