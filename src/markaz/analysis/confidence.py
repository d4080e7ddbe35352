"""The 0-100 confidence of a fused item as one viewer sees it, with every term of the formula."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from markaz.analysis.matching import Node
from markaz.storage.canonical import iso

# STIX 2.1 Appendix A: the Admiralty information-credibility scale as a 0-100 confidence.
# 6 ("cannot be judged") has no value: such a contribution counts as a source, not as support.
CREDIBILITY_VALUE: dict[str, int | None] = {"1": 90, "2": 70, "3": 50, "4": 30, "5": 10, "6": None}
# How much of a contribution's credibility its source's reliability lets through. F ("cannot be
# judged") sits between a usually reliable and a doubtful source: unknown, not bad.
RELIABILITY_WEIGHT: dict[str, float] = {"A": 1.0, "B": 0.8, "C": 0.6, "D": 0.4, "E": 0.2, "F": 0.5}
# A contested item keeps half its confidence: conflicting reports are a reason for doubt, not
# proof of disinformation.
CONTRADICTION_FACTOR = 0.5
FORMULA = (
    "score = round_half_up(100 * corroboration * decay * contradiction_factor); "
    "support = credibility_value / 100 * reliability_weight; "
    "corroboration = 1 - product over originating members of (1 - that member's best support); "
    "decay = 0.5 ** (age_days / half_life_days), age measured from the last sighting"
)


def _r(x: float) -> float:
    return round(x, 6)


def confidence(
    contributions: Sequence[Node],
    *,
    contested: bool,
    half_life_days: float,
    now: datetime,
) -> tuple[int | None, dict[str, Any]]:
    """The score (None when no contribution's credibility can be judged) and its explanation."""
    rows: list[dict[str, Any]] = []
    best: dict[str, tuple[float, int]] = {}
    for n in sorted(contributions, key=lambda n: n.id):
        value = CREDIBILITY_VALUE.get(n.credibility)
        weight = RELIABILITY_WEIGHT.get(n.reliability, RELIABILITY_WEIGHT["F"])
        support = None if value is None else value / 100 * weight
        rows.append(
            {
                "observation_id": n.id,
                "originator": n.originator,
                "information_credibility": n.credibility,
                "credibility_value": value,
                "source_reliability": n.reliability,
                "reliability_weight": weight,
                "support": None if support is None else _r(support),
            }
        )
        # Repeats by the same member do not corroborate: only its best contribution counts.
        if support is not None and (n.originator not in best or support > best[n.originator][0]):
            best[n.originator] = (support, n.id)
    remaining = 1.0
    for support, _ in best.values():
        remaining *= 1 - support
    corroboration = 1 - remaining
    last_seen = max((n.t for n in contributions), default=now.timestamp())
    age_days = max(0.0, now.timestamp() - last_seen) / 86400.0
    decay = 0.5 ** (age_days / half_life_days)
    factor = CONTRADICTION_FACTOR if contested else 1.0
    score = math.floor(100 * corroboration * decay * factor + 0.5) if best else None
    explanation = {
        "formula": FORMULA,
        "contributions": rows,
        "members": [
            {"member": m, "best_support": _r(s), "observation_id": oid}
            for m, (s, oid) in sorted(best.items())
        ],
        "corroboration": _r(corroboration),
        "last_seen": iso(datetime.fromtimestamp(last_seen, UTC)),
        "now": iso(now),
        "age_days": _r(age_days),
        "half_life_days": half_life_days,
        "decay": _r(decay),
        "contested": contested,
        "contradiction_factor": factor,
        "score": score,
    }
    if not best:
        explanation["note"] = "no contribution's credibility can be judged (6): there is no score"
    return score, explanation


def half_life(half_lives: Mapping[str, float], category: str) -> float:
    return float(half_lives.get(category, half_lives.get("default", 14.0)))
