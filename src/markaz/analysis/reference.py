"""Fusion from scratch over a given set of observations: what the incremental engine must agree with."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from markaz.analysis.families import kind_of
from markaz.analysis.fusion import match_all
from markaz.analysis.graph import Decision, build_item, components
from markaz.analysis.matching import MatchRules, Node


def fuse_from_scratch(
    nodes: Iterable[Node],
    rules: MatchRules,
    *,
    half_lives: Mapping[str, float],
    now: datetime,
    decisions: Sequence[Decision] = (),
    released: Collection[int] = (),
    detail: bool = False,
) -> dict[str, list[dict[str, Any]]]:
    """Sites and tracks of exactly `nodes`, by comparing every pair (no index, no stored graph).

    Corrections are outside it (the nodes carry no report history): it lists no `correction`
    contradictions.

    `decisions` apply when every observation they name is in `released` (the observations the
    viewer may see, current or not), as in the stored path.
    """
    fused = [n for n in nodes if n.family]
    by_id = {n.id: n for n in fused}
    links = match_all(fused, rules)
    applicable = [d for d in decisions if d.observations <= set(released)]
    groups, _ = components(by_id, links, applicable)
    out: dict[str, list[dict[str, Any]]] = {"site": [], "track": []}
    for group in groups:
        members = set(group)
        touching = [lk for lk in links if lk.a in members or lk.b in members]
        item = build_item([by_id[i] for i in group], touching, half_lives=half_lives, now=now, detail=detail)
        out[kind_of(by_id[group[0]].family)].append(item)
    return out
