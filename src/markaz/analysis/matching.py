"""The match rule between two observations: the one predicate both the engine and a rebuild use."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from markaz.analysis.families import ENDED, FAMILIES, TRACK, kind_of

if TYPE_CHECKING:
    from markaz.settings import Settings

EARTH_RADIUS_M = 6_371_008.8
# Positions reported by different members differ by their errors (hundreds of metres); a
# track's speed check allows for that before it calls a pair of sightings impossible.
TRACK_POSITION_SLACK_M = 1_000.0


@dataclass(slots=True)
class Node:
    """What fusion knows of one observation (denormalised from the observation and its report)."""

    id: int
    report_id: str
    family: str
    category: str
    lon: float
    lat: float
    t: float  # seconds since the epoch: observed_at, else the report's observed_at, else created_at
    originator: str
    status: str
    credibility: str
    reliability: str
    subject: str | None = None
    subject_key: str | None = None
    points: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Link:
    """Why two observations belong together (matched) or contradict each other (conflict)."""

    a: int
    b: int
    matched: bool
    conflict: str | None
    distance_m: float
    seconds: float


@dataclass(frozen=True)
class MatchRules:
    """Distances and windows, read once from Settings."""

    site_radius_m: float = 1000.0
    radius_by_category: Mapping[str, float] = field(default_factory=dict)
    site_window_s: float = 30 * 86400.0
    track_window_s: float = 24 * 3600.0
    max_speed_mps: float = 120 / 3.6
    contradiction_window_s: float = 48 * 3600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> MatchRules:
        return cls(
            site_radius_m=settings.fusion_site_radius_m,
            radius_by_category=dict(settings.fusion_radius_by_category),
            site_window_s=settings.fusion_site_window_days * 86400.0,
            track_window_s=settings.fusion_track_window_hours * 3600.0,
            max_speed_mps=settings.fusion_track_max_speed_kmh / 3.6,
            contradiction_window_s=settings.fusion_contradiction_hours * 3600.0,
        )

    def radius(self, category: str) -> float:
        return float(self.radius_by_category.get(category, self.site_radius_m))

    def __post_init__(self) -> None:
        # Per-family values the matcher asks for millions of times, worked out once.
        families = set(FAMILIES.values())
        reach = {f: max(self.radius(c.value) for c, g in FAMILIES.items() if g == f) for f in families}
        windows = {f: self.track_window_s if kind_of(f) == TRACK else self.site_window_s for f in families}
        object.__setattr__(self, "_reach", reach)
        object.__setattr__(self, "_windows", windows)

    def family_radius(self, family: str) -> float:
        """The largest radius of any category of the family: the spatial index query's reach."""
        reach: dict[str, float] = self._reach  # type: ignore[attr-defined]
        return reach[family]

    def window(self, family: str) -> float:
        windows: dict[str, float] = self._windows  # type: ignore[attr-defined]
        return windows[family]


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _closest(a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]]) -> float:
    return min(distance_m(x1, y1, x2, y2) for x1, y1 in a for x2, y2 in b)


def match(a: Node, b: Node, rules: MatchRules) -> Link | None:
    """The link between two observations, or None when they have nothing to do with each other."""
    if a.family != b.family or a.id == b.id:
        return None
    lo, hi = (a, b) if a.id < b.id else (b, a)
    seconds = abs(a.t - b.t)
    if seconds > rules.window(a.family):
        return None
    if kind_of(a.family) == TRACK:
        if a.subject_key is None or a.subject_key != b.subject_key:
            return None
        d = _closest(a.points or ((a.lon, a.lat),), b.points or ((b.lon, b.lat),))
        plausible = d <= rules.max_speed_mps * seconds + TRACK_POSITION_SLACK_M
        return Link(lo.id, hi.id, plausible, None if plausible else "speed", d, seconds)
    return site_link(a, b.id, b.category, b.lon, b.lat, b.t, b.status, rules)


def site_link(
    a: Node,
    b_id: int,
    b_category: str,
    b_lon: float,
    b_lat: float,
    b_t: float,
    b_status: str,
    rules: MatchRules,
) -> Link | None:
    """The site rule, on a candidate's bare columns (the engine's inner loop builds no Node for it).

    The caller has checked the family and the time window.
    """
    d = distance_m(a.lon, a.lat, b_lon, b_lat)
    if d > max(rules.radius(a.category), rules.radius(b_category)):
        return None
    window = rules.contradiction_window_s
    conflict = None
    if (a.status in ENDED and b_status == "active" and 0 <= b_t - a.t <= window) or (
        b_status in ENDED and a.status == "active" and 0 <= a.t - b_t <= window
    ):
        conflict = "status"
    lo, hi = (a.id, b_id) if a.id < b_id else (b_id, a.id)
    return Link(lo, hi, True, conflict, d, abs(a.t - b_t))


def search_box(node: Node, rules: MatchRules) -> tuple[float, float, float, float]:
    """The bounding box the spatial index is asked for a site observation's candidates."""
    reach = rules.family_radius(node.family)
    # 110 km per degree is less than the sphere's 111.2 km: the box errs on the large side.
    dlat = reach / 110_000.0
    dlon = reach / (110_000.0 * max(0.01, math.cos(math.radians(abs(node.lat) + dlat))))
    return node.lon - dlon, node.lat - dlat, node.lon + dlon, node.lat + dlat


def pairs_within(nodes: Iterable[Node], rules: MatchRules) -> Iterator[Link]:
    """Every link among `nodes`, the same set as comparing every pair, found through a grid.

    Sites are binned in cells of the family's reach (in degrees of latitude, the unit of
    `search_box`); each node is compared with the nodes of the cells its search box covers.
    Tracks are compared within their (family, subject key) in time order, stopping at the
    window. Used for the pairs inside one batch of new observations and, on reads, for the
    links inside one group of observations that the engine joined without storing them.
    """
    sites: dict[tuple[str, int, int], list[Node]] = defaultdict(list)
    site_nodes: list[tuple[Node, float]] = []
    tracks: dict[tuple[str, str], list[Node]] = defaultdict(list)
    for n in nodes:
        if not n.family:
            continue
        if kind_of(n.family) == TRACK:
            if n.subject_key is not None:
                tracks[(n.family, n.subject_key)].append(n)
            continue
        cell = rules.family_radius(n.family) / 110_000.0
        sites[(n.family, math.floor(n.lat / cell), math.floor(n.lon / cell))].append(n)
        site_nodes.append((n, cell))
    for n, cell in site_nodes:
        x0, y0, x1, y1 = search_box(n, rules)
        window = rules.site_window_s
        for cy in range(math.floor(y0 / cell), math.floor(y1 / cell) + 1):
            for cx in range(math.floor(x0 / cell), math.floor(x1 / cell) + 1):
                for other in sites.get((n.family, cy, cx), ()):
                    if other.id > n.id and abs(other.t - n.t) <= window:
                        link = site_link(
                            n, other.id, other.category, other.lon, other.lat, other.t, other.status, rules
                        )
                        if link is not None:
                            yield link
    for group in tracks.values():
        group.sort(key=lambda n: n.t)
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if b.t - a.t > rules.track_window_s:
                    break
                link = match(a, b, rules)
                if link is not None:
                    yield link
