"""The fusion engine: takes new observations in after the commit and links each to its matches."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from markaz.analysis.families import (
    TRACK,
    family_of,
    kind_of,
    representative_point,
    status_of,
    subject_key,
    track_points,
)
from markaz.analysis.matching import Link, MatchRules, Node, match, pairs_within, search_box, site_link
from markaz.centre import Centre
from markaz.storage import fusion_graph as store
from markaz.storage.database import SQLITE_CACHE_KIB

log = logging.getLogger("markaz.analysis")
# Observations per transaction: small enough that ingest waits at most a moment for the lock.
BATCH = 1000


def node_of(row: Sequence[Any]) -> Node:
    """What fusion keeps of an observation, from the tuple `storage.fusion_graph.pending` reads:
    (id, report_id, category, geometry, t, subject, note, originator, source_reliability,
    information_credibility)."""
    obs_id, report_id, category, geometry, t, subject, note, originator, reliability, credibility = row
    family = family_of(category) or ""
    track = bool(family) and kind_of(family) == TRACK
    points: tuple[tuple[float, float], ...] = ()
    if track:
        points = tuple(track_points(geometry))
        lon, lat = points[-1]
        if len(points) == 1:
            points = ()
    else:
        lon, lat = representative_point(geometry)
    return Node(
        id=int(obs_id),
        report_id=report_id,
        family=family,
        category=category,
        lon=lon,
        lat=lat,
        t=t,
        originator=originator,
        status=status_of(note),
        credibility=credibility,
        reliability=reliability,
        subject=subject,
        subject_key=subject_key(subject) if track else None,
        points=points,
    )


class _Atoms:
    """Union-find over atom labels; a joined atom is labelled by its smallest observation id."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, i: int) -> int:
        parent = self.parent
        root = parent.setdefault(i, i)
        while root != parent[root]:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def link_new(
    nodes: Sequence[Node], audience: Mapping[int, int], candidates: store.Candidates, rules: MatchRules
) -> tuple[dict[int, int], dict[int, int], list[Link]]:
    """Atoms and stored links of a batch of new nodes, against each other and the nodes taken in before.

    Two observations that match and are released to the same members join one atom: nothing is
    stored for the pair, because a viewer sees both or neither, and reads recompute the pairs
    inside an atom, contradictions included. Pairs that match across audiences, and
    contradictions that are not matches between different atoms, are stored as links. Each pair
    is considered once, when its second observation arrives; atoms are the components of the
    same-audience matches, and reads take every pair inside an atom from the nodes, so the
    picture is the same whatever order observations arrive in.

    Returns (atom of each new node, moves of earlier atoms joined into others, links to store).
    """
    atoms = _Atoms()
    for n in nodes:
        atoms.find(n.id)
    links: list[Link] = []

    def take(link: Link, same_audience: bool) -> None:
        if link.matched and same_audience:
            atoms.union(link.a, link.b)
        elif link.matched or link.conflict:
            links.append(link)

    for pair in pairs_within(nodes, rules):
        take(pair, audience[pair.a] == audience[pair.b])
    probes = []
    subject_probes = []
    for i, n in enumerate(nodes):
        if not n.family:
            continue
        window = rules.window(n.family)
        if kind_of(n.family) == TRACK:
            if n.subject_key is not None:
                subject_probes.append((i, n.family, n.subject_key, n.t - window, n.t + window))
        else:
            probes.append((i, *search_box(n, rules), n.family, n.t - window, n.t + window))
    # Neighbours one after another: the index's pages are then read while still cached.
    probes.sort(key=lambda p: (int(p[2] * 10), p[1]))
    earlier: set[int] = set()  # atom labels of earlier nodes this batch joined to others
    find, parent = atoms.find, atoms.parent
    for i, c_audience, c_atom, *row in candidates.same_subject(subject_probes):
        n = nodes[i]
        same = audience[n.id] == c_audience
        if same and find(c_atom) == find(n.id):
            continue  # already in the node's atom: any link between the two is recomputed on reads
        track_link = match(n, store.node_from(row), rules)
        if track_link is not None:
            if track_link.matched and same:
                earlier.add(c_atom)
                atoms.union(n.id, c_atom)  # an earlier node joins as its atom
            else:
                take(track_link, False)
    window = rules.site_window_s
    last = -1
    n_audience = root = 0
    n_t = 0.0
    # Rows come grouped by probe: the new node and its audience and atom are looked up once a group.
    for i, cid, category, lon, lat, t, status, c_audience, c_atom in candidates.sites(probes):
        if i != last:
            last = i
            n = nodes[i]
            n_t = n.t
            n_audience, root = audience[n.id], find(n.id)
        if abs(t - n_t) > window:
            continue
        same = n_audience == c_audience
        if same:
            # Inside one atom a site pair needs no link: a status contradiction between the
            # two is a match, recomputed on reads with the atom.
            c_root = parent.get(c_atom, c_atom)
            if c_root != c_atom:
                c_root = find(c_atom)
            if c_root == root:
                continue
        link = site_link(n, cid, category, lon, lat, t, status, rules)
        if link is not None:
            if same:
                earlier.add(c_atom)
                atoms.union(n.id, c_atom)
                root = find(n.id)
            else:
                links.append(link)
    mine = {n.id: atoms.find(n.id) for n in nodes}
    # Earlier atoms this batch joined to a smaller label: their nodes are relabelled.
    moves = {label: root for label in earlier if (root := atoms.find(label)) != label}
    return mine, moves, links


def working_cache_mib(centre: Centre, limit: int) -> int:
    """The page cache (MiB) a SQLite run of up to `limit` observations works with.

    Runs larger than BATCH get `fusion_sqlite_cache_mib`; runs of BATCH (the worker loop's,
    `markaz fuse`'s) keep the pool's, which fused as fast: a million observations 1,000 at a
    time at 10,522 and 11,538 observations/s with 256 MiB, 11,400 with 16 and 10,718 with 2
    (bench/fusion.py --batch 1000, one core each, 24 November). In the SQLite server each run's
    cache, allocated and freed, had stretched malloc's heap under load (docs/operations.md,
    the soaks X1 and X2).
    """
    if limit > BATCH:
        return centre.settings.fusion_sqlite_cache_mib
    return max(1, SQLITE_CACHE_KIB // 1024)


def run_fusion(centre: Centre, limit: int = BATCH, now: datetime | None = None) -> int:
    """Take in up to `limit` observations not yet fused; returns how many were taken in."""
    rules = MatchRules.from_settings(centre.settings)
    db = centre.db
    # A read first: an idle worker polls often and must not take the write lock for nothing.
    with db.read() as conn:
        if not store.has_pending(conn):
            return 0
    with db.write() as conn, store.working_cache(conn, db.dialect, working_cache_mib(centre, limit)):
        watermark = store.lock_state(conn, db.dialect)
        rows = store.pending(conn, db.dialect, watermark, limit)
        nodes = [node_of(r) for r in rows]
        by_report = store.audiences(conn, (n.report_id for n in nodes))
        audience = {n.id: by_report[n.report_id] for n in nodes}
        candidates = store.Candidates(conn, db.dialect)
        try:
            atom, moves, links = link_new(nodes, audience, candidates, rules)
            candidates.relabel(moves)
            candidates.insert_nodes(nodes, audience, atom)
            candidates.insert_links(links)
        finally:
            candidates.close()
        store.advance(conn, watermark, (n.id for n in nodes), now or datetime.now(UTC))
    return len(nodes)


def fuse_all(centre: Centre, limit: int = BATCH) -> int:
    """Run fusion until nothing is left to take in; returns the total."""
    total = 0
    while (n := run_fusion(centre, limit)) > 0:
        total += n
    return total


def rebuild(centre: Centre) -> int:
    """Forget the match graph and take every observation in again (after the matching settings change)."""
    with centre.db.write() as conn:
        store.clear(conn, centre.db.dialect)
    return fuse_all(centre)


def match_all(nodes: Iterable[Node], rules: MatchRules) -> list[Link]:
    """Every pair's link by brute force: the reference the engine's index search must agree with."""
    items = sorted((n for n in nodes if n.family), key=lambda n: n.id)
    out = []
    for i, a in enumerate(items):
        for b in items[i + 1 :]:
            link = match(a, b, rules)
            if link is not None:
                out.append(link)
    return out
