"""Text normalisation for matching and search: letter variants, digits, case, with an offset map."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Characters dropped entirely: Arabic harakat and Quranic marks, tatweel, Latin combining marks,
# invisible joiners and bidi marks. They carry no identity for names, numbers or words.
_DROP_RANGES = (
    (0x0610, 0x061A),  # Arabic honorific and Quranic signs
    (0x064B, 0x065F),  # harakat: fathatan .. wavy hamza below
    (0x0670, 0x0670),  # superscript alef
    (0x06D6, 0x06ED),  # Quranic annotation signs
    (0x0640, 0x0640),  # tatweel (kashida), pure typographic stretching
    (0x0300, 0x036F),  # combining diacritics (Latin/Cyrillic NFD leftovers)
    (0x200B, 0x200B),  # zero width space
    (0x200D, 0x200F),  # ZWJ, LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings/overrides
    (0x2066, 0x2069),  # bidi isolates
    (0xFEFF, 0xFEFF),  # BOM
    (0x00AD, 0x00AD),  # soft hyphen
)

_ONE_TO_ONE: dict[str, str] = {}
for _src, _dst in (
    ("أإآٱٲٳٵ", "ا"),
    ("ؤ", "و"),
    ("ئىیيېۍۑێ", "ي"),  # all yeh and alef maksura forms; Persian ی and Arabic ي meet here
    ("كکګ", "ك"),
    ("ةۀەہھۂ", "ه"),  # teh marbuta and heh variants (ە is Kurdish ae, often a heh stand-in)
    ("٠۰", "0"),
    ("١۱", "1"),
    ("٢۲", "2"),
    ("٣۳", "3"),
    ("٤۴", "4"),
    ("٥۵", "5"),
    ("٦۶", "6"),
    ("٧۷", "7"),
    ("٨۸", "8"),
    ("٩۹", "9"),
    ("٫", "."),  # Arabic decimal separator
    ("٬", ","),  # Arabic thousands separator
    ("،", ","),  # Arabic comma: lets coordinate pairs and dates split on one character
    ("؛", ";"),
    ("\u200c", " "),  # ZWNJ: Persian half-space separates morphemes; a space keeps offsets 1:1
    ("\u00a0\u2007\u202f\u2009\u200a\u2002\u2003", " "),
    ("‐‑‒–—―−", "-"),
    ("’‘ʼʹ`´", "'"),
    ("“”„«»", '"'),
    ("ё", "е"),
    ("İ", "i"),
    ("ı", "i"),  # Turkish dotless i: casefolding "I" gives "i", so both forms must meet
):
    for _ch in _src:
        _ONE_TO_ONE[_ch] = _dst

# Characters that expand to several (presentation forms, ligatures, some casefolds).
_EXPANSIONS: dict[str, str] = {}


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for lo, hi in _DROP_RANGES:
        for cp in range(lo, hi + 1):
            table[cp] = None
    # Latin and Cyrillic letters: lower-case and strip precomposed diacritics (é -> e, ş -> s)
    # one character to one character, so "Mossoul"/"Ḩalab"/"Şam" meet their plain spellings.
    for cp in (
        list(range(0x00C0, 0x0250))
        + list(range(0x0041, 0x005B))
        + list(range(0x0400, 0x0530))
        + list(range(0x1E00, 0x1F00))
    ):
        ch = chr(cp)
        low = ch.lower()
        if len(low) != 1:
            continue
        base = unicodedata.normalize("NFD", low)
        if len(base) > 1:
            first = base[0]
            if first.isalpha() and (first.isascii() or "\u0400" <= first <= "\u04ff"):
                low = first
        if low == "ё":
            low = "е"
        if low != ch:
            table[cp] = low
    # Cyrillic й must keep its breve: it is a distinct letter, not a decorated и.
    table[ord("й")] = "й"
    table[ord("Й")] = "й"
    for ch, dst in _ONE_TO_ONE.items():
        table[ord(ch)] = dst
    table[ord("Ё")] = "е"
    # Arabic presentation forms (legacy encodings) fold to base letters; most are 1:1,
    # lam-alef ligatures expand to two letters.
    for cp in list(range(0xFB50, 0xFE00)) + list(range(0xFE70, 0xFF00)):
        ch = chr(cp)
        nf = unicodedata.normalize("NFKC", ch)
        if nf == ch or not nf.strip():
            continue
        nf = "".join(_ONE_TO_ONE.get(c, c) for c in nf)
        nf = "".join(c for c in nf if table.get(ord(c), c) is not None)
        if len(nf) == 1:
            table[cp] = nf
        elif nf:
            _EXPANSIONS[ch] = nf
    for ch, dst in _EXPANSIONS.items():
        table[ord(ch)] = dst
    return table


_TABLE = _build_table()
# Any character that does not map one-to-one; only texts containing one need an offset list.
_IRREGULAR = re.compile(
    "["
    + "".join(re.escape(chr(cp)) for cp, dst in sorted(_TABLE.items()) if dst is None or len(dst) != 1)
    + "]"
)


@dataclass(frozen=True, slots=True)
class Normalised:
    """Normalised text plus the way back to the original offsets."""

    text: str
    original: str
    # offsets[i] = index in the original of normalised character i; None means identity.
    offsets: list[int] | None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the normalised text back to the original text."""
        if self.offsets is None:
            return start, end
        if start >= len(self.offsets):
            return len(self.original), len(self.original)
        o_start = self.offsets[start]
        o_end = self.offsets[end - 1] + 1 if end > start else o_start
        # Extend over dropped marks that belong to the last character (harakat after a letter).
        n = len(self.original)
        while o_end < n and _TABLE.get(ord(self.original[o_end]), "x") is None:
            o_end += 1
        return o_start, o_end


def normalise(text: str) -> Normalised:
    """Normalise ``text`` for matching, keeping a map back to original character offsets."""
    norm = text.translate(_TABLE)
    if _IRREGULAR.search(text) is None:
        return Normalised(norm, text, None)
    offsets: list[int] = []
    table = _TABLE
    for i, ch in enumerate(text):
        dst = table.get(ord(ch), ch)
        if dst is None:
            continue
        offsets.extend([i] * len(dst))
    return Normalised(norm, text, offsets)


def normalise_text(text: str) -> str:
    """The normalised string alone (no offset map), for building keys and keyword lists."""
    return text.translate(_TABLE)


_WS = re.compile(r"\s+")


def normalise_for_search(text: str) -> str:
    """Normalise for full-text search: same folding as extraction, whitespace collapsed."""
    # No offsets needed here, so the full Unicode lower-casing (Greek, Armenian ...) applies too.
    return _WS.sub(" ", text.translate(_TABLE).lower()).strip()
