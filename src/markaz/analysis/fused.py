"""The fused picture as one member sees it: sites and tracks, pages, single items, GeoJSON."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from markaz.analysis.families import SITE, SITE_FAMILIES, TRACK, TRACK_FAMILIES, kind_of
from markaz.analysis.graph import Decision, build_item, components
from markaz.analysis.matching import Link, MatchRules, Node
from markaz.centre import Centre
from markaz.dissemination.cursors import CursorCodec
from markaz.errors import InvalidInput, NotFound
from markaz.storage import fusion as store
from markaz.storage.canonical import iso
from markaz.storage.dialects import BBox

SEED_CHUNK = 200


@dataclass(frozen=True)
class FusedFilter:
    """Filters of the fused lists (see docs/analysis.md)."""

    bbox: BBox | None = None
    since: datetime | None = None
    until: datetime | None = None
    category: str | None = None
    contested: bool | None = None


class View:
    """The part of the match graph one viewer may see, grown outwards from some of its observations.

    Only observations released to the viewer (and current) ever enter it, so nothing the viewer
    may not see can join, bridge or colour what it is shown.
    """

    def __init__(self, conn: Connection, viewer: str, rules: MatchRules) -> None:
        self.conn = conn
        self.viewer = viewer
        self.graph = store.Links(conn, rules)
        self.nodes: dict[int, Node] = {}
        self.links: dict[tuple[int, int], Link] = {}
        self.decisions: dict[int, Decision] = {}
        self.expanded: set[int] = set()
        self._hidden: set[int] = set()
        self._checked: set[int] = set()

    def _learn(self, ids: Iterable[int]) -> None:
        unknown = set(ids) - self.nodes.keys() - self._hidden
        if unknown:
            found = store.visible_nodes(self.conn, self.viewer, unknown)
            self.nodes.update(found)
            self._hidden |= unknown - found.keys()

    def grow(self, seeds: Iterable[int]) -> None:
        """Add the seeds' whole fused groups: matched links and applicable merges, transitively."""
        self._learn(seeds)
        frontier = {s for s in seeds if s in self.nodes} - self.expanded
        while frontier:
            self.expanded |= frontier
            links = self.graph.touching(frontier)
            self._learn(e for lk in links for e in (lk.a, lk.b))
            following: set[int] = set()
            for lk in links:
                if lk.a in self.nodes and lk.b in self.nodes:
                    self.links[(lk.a, lk.b)] = lk
                    if lk.matched:
                        following |= {lk.a, lk.b}
            fresh = [d for d in store.decisions_touching(self.conn, frontier) if d.id not in self._checked]
            self._checked |= {d.id for d in fresh}
            named = {o for d in fresh for o in d.observations}
            released = store.visible_ids_any_status(self.conn, self.viewer, named) if named else set()
            for d in fresh:
                # A decision counts for a viewer only if it may see every observation the
                # decision names: otherwise the decision would tell it those exist.
                if d.observations <= released:
                    self.decisions[d.id] = d
                    if d.kind == "merge":
                        self._learn(d.observations)
                        following |= {o for o in d.observations if o in self.nodes}
            frontier = following - self.expanded

    def groups(self) -> list[list[int]]:
        return self.resolve()[0]

    def resolve(self) -> tuple[list[list[int]], dict[int, list[int]]]:
        return components(self.expanded, self.links.values(), list(self.decisions.values()))

    def item(
        self,
        group: Sequence[int],
        *,
        half_lives: Mapping[str, float],
        now: datetime,
        joined_by: Mapping[int, Sequence[int]] | None = None,
        detail: bool = False,
    ) -> dict[str, Any]:
        members = set(group)
        touching = [lk for lk in self.links.values() if lk.a in members or lk.b in members]
        return build_item(
            [self.nodes[i] for i in group],
            touching,
            half_lives=half_lives,
            now=now,
            joined_by=joined_by,
            detail=detail,
            extra_contradictions=self.unsupported_corrections(group),
        )

    def unsupported_corrections(self, group: Sequence[int]) -> list[dict[str, Any]]:
        """Corrections the originator made that other members' reports do not support.

        A corrected observation whose original was matched by other members' observations
        (current, visible to the viewer), none of which is in the corrected one's item.
        """
        corrected = store.corrected_observations(self.conn, self.viewer, group)
        if not corrected:
            return []
        originals = {o for ids in corrected.values() for o in ids}
        links = [lk for lk in self.graph.touching(originals) if lk.matched]
        self._learn(e for lk in links for e in (lk.a, lk.b))
        members = set(group)
        out = []
        for obs_id, earlier in sorted(corrected.items()):
            author = self.nodes[obs_id].originator
            supporters = {
                other
                for lk in links
                for here, other in ((lk.a, lk.b), (lk.b, lk.a))
                if here in earlier and other in self.nodes and self.nodes[other].originator != author
            }
            if supporters and not supporters & members:
                out.append(
                    {
                        "kind": "correction",
                        "observations": [obs_id, min(earlier)],
                        "reason": "the originator corrected its report; reports of other members "
                        f"still support the original ({len(supporters)} observations)",
                    }
                )
        return out


def _in_box(n: Node, bbox: BBox | None) -> bool:
    return bbox is None or (bbox[0] <= n.lon <= bbox[2] and bbox[1] <= n.lat <= bbox[3])


def _passes(nodes: Sequence[Node], item: dict[str, Any], f: FusedFilter) -> bool:
    if f.since is not None and max(n.t for n in nodes) < f.since.timestamp():
        return False
    if f.until is not None and min(n.t for n in nodes) >= f.until.timestamp():
        return False
    if f.category is not None and not any(n.category == f.category for n in nodes):
        return False
    return f.contested is None or item["contested"] == f.contested


def _page(
    centre: Centre,
    viewer: str,
    kind: str,
    f: FusedFilter | None,
    *,
    limit: int,
    cursor: str | None,
    now: datetime | None,
) -> tuple[list[dict[str, Any]], str | None]:
    f = f or FusedFilter()
    now = now or datetime.now(UTC)
    if limit < 1:
        raise InvalidInput("limit must be at least 1", field="limit")
    codec = CursorCodec(centre.settings.secret_key, f"fused-{kind}")
    after = codec.decode(cursor).get("after", 0) if cursor else 0
    if not isinstance(after, int):
        raise InvalidInput("cursor is not valid", field="cursor")
    families = sorted(TRACK_FAMILIES if kind == TRACK else SITE_FAMILIES)
    half_lives = centre.settings.fusion_half_life_days
    found: list[tuple[int, dict[str, Any]]] = []
    with centre.db.read() as conn:
        while len(found) <= limit:
            seeds = store.seed_page(
                conn, centre.db.dialect, viewer, families, after=after, limit=SEED_CHUNK, bbox=f.bbox
            )
            if not seeds:
                break
            chunk = set(seeds)
            view = View(conn, viewer, MatchRules.from_settings(centre.settings))
            view.grow(seeds)
            keyed = []
            for group in view.groups():
                # An item is listed once, at the smallest of its observations the filter selects.
                key = min(i for i in group if _in_box(view.nodes[i], f.bbox))
                if key in chunk:
                    keyed.append((key, group))
            for key, group in sorted(keyed):
                item = view.item(group, half_lives=half_lives, now=now)
                if _passes([view.nodes[i] for i in group], item, f):
                    found.append((key, item))
                    if len(found) > limit:
                        break
            after = seeds[-1]
    more = len(found) > limit
    found = found[:limit]
    next_cursor = codec.encode({"after": found[-1][0]}) if more else None
    return [item for _, item in found], next_cursor


def _get(
    conn: Connection, centre: Centre, viewer: str, kind: str, item_id: str, now: datetime | None
) -> tuple[View, list[int], dict[str, Any]]:
    word = "track" if kind == TRACK else "site"
    prefix = "T" if kind == TRACK else "S"
    digits = item_id[1:] if item_id[:1] == prefix else ""
    if not digits.isdigit() or len(digits) > 18:
        raise NotFound(f"there is no {word} {item_id}")
    seed = int(digits)
    view = View(conn, viewer, MatchRules.from_settings(centre.settings))
    view.grow([seed])
    node = view.nodes.get(seed)
    if node is None or kind_of(node.family) != kind:
        raise NotFound(f"there is no {word} {item_id}")
    groups, joined_by = view.resolve()
    group = next(g for g in groups if seed in g)
    item = view.item(
        group,
        half_lives=centre.settings.fusion_half_life_days,
        now=now or datetime.now(UTC),
        joined_by=joined_by,
        detail=True,
    )
    details = store.observation_details(conn, group)
    for c in item["contributions"]:
        d = details[c["observation_id"]]
        c["geometry"] = d["geometry"]
        c["note"] = d["note"]
        c["observed_at"] = iso(d["observed_at"]) if d["observed_at"] else c["observed_at"]
    item["decisions"] = sorted(d.id for d in view.decisions.values() if d.observations & set(group))
    return view, group, item


def get_item(conn: Connection, centre: Centre, viewer: str, kind: str, item_id: str) -> dict[str, Any]:
    """One item inside the caller's transaction (for split and merge)."""
    return _get(conn, centre, viewer, kind, item_id, None)[2]


def list_sites(
    centre: Centre,
    viewer: str,
    f: FusedFilter | None = None,
    *,
    limit: int = 100,
    cursor: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    items, next_cursor = _page(centre, viewer, SITE, f, limit=limit, cursor=cursor, now=now)
    return {"items": items, "next_cursor": next_cursor}


def list_tracks(
    centre: Centre,
    viewer: str,
    f: FusedFilter | None = None,
    *,
    limit: int = 100,
    cursor: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    items, next_cursor = _page(centre, viewer, TRACK, f, limit=limit, cursor=cursor, now=now)
    return {"items": items, "next_cursor": next_cursor}


def get_site(centre: Centre, viewer: str, site_id: str, *, now: datetime | None = None) -> dict[str, Any]:
    with centre.db.read() as conn:
        return _get(conn, centre, viewer, SITE, site_id, now)[2]


def get_track(centre: Centre, viewer: str, track_id: str, *, now: datetime | None = None) -> dict[str, Any]:
    with centre.db.read() as conn:
        return _get(conn, centre, viewer, TRACK, track_id, now)[2]


def _features(items: Sequence[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": item["id"],
                "geometry": item["geometry"],
                "properties": {k: v for k, v in item.items() if k not in ("geometry", "position")},
            }
            for item in items
        ],
        "next_cursor": next_cursor,
    }


def sites_geojson(
    centre: Centre,
    viewer: str,
    f: FusedFilter | None = None,
    *,
    limit: int = 100,
    cursor: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Sites as a GeoJSON FeatureCollection (RFC 7946), one page at a time."""
    return _features(*_page(centre, viewer, SITE, f, limit=limit, cursor=cursor, now=now))


def tracks_geojson(
    centre: Centre,
    viewer: str,
    f: FusedFilter | None = None,
    *,
    limit: int = 100,
    cursor: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Tracks as a GeoJSON FeatureCollection: a LineString through the sightings in time order."""
    return _features(*_page(centre, viewer, TRACK, f, limit=limit, cursor=cursor, now=now))
