"""From one viewer's visible observations and links to fused items: components, decisions, items."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from markaz.analysis.confidence import confidence, half_life
from markaz.analysis.families import TRACK, kind_of
from markaz.analysis.matching import Link, Node
from markaz.storage.canonical import iso


@dataclass(frozen=True)
class Decision:
    """An analyst's split (groups kept apart) or merge (groups joined), in stored order."""

    id: int
    kind: str  # split | merge
    groups: tuple[tuple[int, ...], ...]

    @property
    def observations(self) -> frozenset[int]:
        return frozenset(o for g in self.groups for o in g)


class _Groups:
    """Union-find that refuses a union which would put two kept-apart observations together."""

    def __init__(self, ids: Iterable[int]) -> None:
        self.parent = {i: i for i in ids}
        self.members: dict[int, set[int]] = {i: {i} for i in self.parent}
        self.apart: dict[int, set[int]] = {}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def keep_apart(self, a: int, b: int) -> None:
        self.apart.setdefault(a, set()).add(b)
        self.apart.setdefault(b, set()).add(a)

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        small, large = (ra, rb) if len(self.members[ra]) <= len(self.members[rb]) else (rb, ra)
        big = self.members[large]
        if any(p in big for m in self.members[small] for p in self.apart.get(m, ())):
            return False
        self.parent[small] = large
        big |= self.members.pop(small)
        return True


def components(
    ids: Iterable[int], links: Iterable[Link], decisions: Sequence[Decision]
) -> tuple[list[list[int]], dict[int, list[int]]]:
    """Fused groups of `ids` (sorted, each sorted), and which merge decisions joined whom.

    Decisions are applied latest first, so a later decision wins over an earlier one about
    the same observations; then the matched links join what no decision keeps apart, in the
    order of their observation ids, so the result does not depend on arrival order.
    """
    groups = _Groups(ids)
    present = groups.parent
    joined_by: dict[int, list[int]] = {}
    for d in sorted(decisions, key=lambda d: d.id, reverse=True):
        live = [[o for o in g if o in present] for g in d.groups]
        if d.kind == "split":
            for i, g in enumerate(live):
                for h in live[i + 1 :]:
                    for a in g:
                        for b in h:
                            if groups.find(a) != groups.find(b):
                                groups.keep_apart(a, b)
        else:
            flat = [o for g in live for o in g]
            for a, b in itertools.pairwise(flat):
                if groups.union(a, b):
                    joined_by.setdefault(a, []).append(d.id)
                    joined_by.setdefault(b, []).append(d.id)
    for link in sorted((lk for lk in links if lk.matched), key=lambda lk: (lk.a, lk.b)):
        if link.a in present and link.b in present:
            groups.union(link.a, link.b)
    found: dict[int, list[int]] = {}
    for i in present:
        found.setdefault(groups.find(i), []).append(i)
    return sorted(sorted(g) for g in found.values()), joined_by


def _most_common(values: Iterable[str]) -> str | None:
    counts = Counter(values)
    if not counts:
        return None
    return min(counts, key=lambda v: (-counts[v], v))


def item_id(kind: str, first: int) -> str:
    return f"{'T' if kind == TRACK else 'S'}{first}"


def build_item(
    members: Sequence[Node],
    links: Sequence[Link],
    *,
    half_lives: Mapping[str, float],
    now: datetime,
    joined_by: Mapping[int, Sequence[int]] | None = None,
    detail: bool = False,
    extra_contradictions: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """One fused item from its visible contributions and the links that touch them."""
    nodes = sorted(members, key=lambda n: n.id)
    ids = {n.id for n in nodes}
    family = nodes[0].family
    kind = kind_of(family)
    category = _most_common(n.category for n in nodes) or nodes[0].category
    contradictions = []
    for lk in sorted(links, key=lambda lk: (lk.a, lk.b)):
        if lk.conflict and (lk.a in ids or lk.b in ids):
            contradictions.append(_contradiction(lk))
    contradictions += extra_contradictions
    contested = bool(contradictions)
    score, explanation = confidence(
        nodes, contested=contested, half_life_days=half_life(half_lives, category), now=now
    )
    in_time = sorted(nodes, key=lambda n: (n.t, n.id))
    if kind == TRACK:
        path = [p for n in in_time for p in (n.points or ((n.lon, n.lat),))]
        lon, lat = path[-1]
        geometry: dict[str, Any] = (
            {"type": "LineString", "coordinates": [list(p) for p in path]}
            if len(set(path)) > 1
            else {"type": "Point", "coordinates": [lon, lat]}
        )
    else:
        lon = sum(n.lon for n in nodes) / len(nodes)
        lat = sum(n.lat for n in nodes) / len(nodes)
        geometry = {"type": "Point", "coordinates": [lon, lat]}
    item: dict[str, Any] = {
        "id": item_id(kind, nodes[0].id),
        "kind": kind,
        "family": family,
        "category": category,
        "position": {"type": "Point", "coordinates": [lon, lat]},
        "geometry": geometry,
        "first_seen": _when(in_time[0].t),
        "last_seen": _when(in_time[-1].t),
        "observations": len(nodes),
        "sources": len({n.originator for n in nodes}),
        "originators": sorted({n.originator for n in nodes}),
        "confidence": score,
        "contested": contested,
        "contradictions": contradictions,
    }
    if kind == TRACK:
        item["subject"] = _most_common(n.subject for n in nodes if n.subject)
    if detail:
        item["contributions"] = [_contribution(n, links, ids, joined_by or {}) for n in nodes]
        item["confidence_explanation"] = explanation
    return item


def _when(t: float) -> str | None:
    return iso(datetime.fromtimestamp(t, UTC))


def _contradiction(lk: Link) -> dict[str, Any]:
    if lk.conflict == "speed":
        reason = (
            f"the same subject is reported {lk.distance_m / 1000:.1f} km apart within "
            f"{lk.seconds / 3600:.1f} h, faster than it can move"
        )
    else:
        reason = "reported destroyed or abandoned, and reported active at or after that time"
    return {"kind": lk.conflict, "observations": [lk.a, lk.b], "reason": reason}


def _contribution(
    n: Node, links: Sequence[Link], ids: set[int], joined_by: Mapping[int, Sequence[int]]
) -> dict[str, Any]:
    matched = []
    for lk in links:
        if lk.matched and (lk.a == n.id or lk.b == n.id):
            other = lk.b if lk.a == n.id else lk.a
            if other in ids:
                matched.append(
                    {
                        "observation_id": other,
                        "distance_m": round(lk.distance_m, 1),
                        "hours_apart": round(lk.seconds / 3600, 2),
                    }
                )
    matched.sort(key=lambda m: m["observation_id"])
    return {
        "observation_id": n.id,
        "report_id": n.report_id,
        "originator": n.originator,
        "category": n.category,
        "status": n.status,
        "subject": n.subject,
        "observed_at": _when(n.t),
        "source_reliability": n.reliability,
        "information_credibility": n.credibility,
        "matched_with": matched,
        "joined_by_decisions": sorted(set(joined_by.get(n.id, ()))),
    }
