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
from markaz.analysis.matching import Link, MatchRules, Node, match, search_box, site_link
from markaz.centre import Centre
from markaz.storage import fusion as store

log = logging.getLogger("markaz.analysis")
# Observations per transaction: small enough that ingest waits at most a moment for the lock.
BATCH = 1000


def node_of(row: Mapping[str, Any]) -> Node:
    """What fusion keeps of an observation joined with its report (see storage.fusion.pending)."""
    when: datetime = row["observed_at"] or row["report_observed_at"] or row["created_at"]
    family = family_of(row["category"]) or ""
    geometry = row["geometry"]
    points: tuple[tuple[float, float], ...] = ()
    if family and kind_of(family) == TRACK:
        points = tuple(track_points(geometry))
        lon, lat = points[-1]
        if len(points) == 1:
            points = ()
    else:
        lon, lat = representative_point(geometry)
    return Node(
        id=int(row["id"]),
        report_id=row["report_id"],
        family=family,
        category=row["category"],
        lon=lon,
        lat=lat,
        t=when.timestamp(),
        originator=row["originator"],
        status=status_of(row["note"]),
        credibility=row["information_credibility"],
        reliability=row["source_reliability"],
        subject=row["subject"],
        subject_key=subject_key(row["subject"]) if family and kind_of(family) == TRACK else None,
        points=points,
    )


def link_new(nodes: Sequence[Node], candidates: store.Candidates, rules: MatchRules) -> list[Link]:
    """Links of each new node to the nodes taken in before it (earlier runs, or earlier in this batch).

    Each pair is considered once, when its second observation arrives, so the graph is the same
    whatever order observations arrive in.
    """
    position = {n.id: i for i, n in enumerate(nodes)}
    links: list[Link] = []
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
    for i, c in candidates.same_subject(subject_probes):
        if position.get(c.id, -1) < i:
            link = match(nodes[i], c, rules)
            if link is not None:
                links.append(link)
    # (row: probe index, id, category, lon, lat, t, status of an earlier node in the probe's box)
    for i, cid, category, lon, lat, t, status in candidates.sites(probes):
        if position.get(cid, -1) < i:
            link = site_link(nodes[i], cid, category, lon, lat, t, status, rules)
            if link is not None:
                links.append(link)
    return links


def run_fusion(centre: Centre, limit: int = BATCH, now: datetime | None = None) -> int:
    """Take in up to `limit` observations not yet fused; returns how many were taken in."""
    rules = MatchRules.from_settings(centre.settings)
    db = centre.db
    # A read first: an idle worker polls often and must not take the write lock for nothing.
    with db.read() as conn:
        if not store.has_pending(conn):
            return 0
    with db.write() as conn:
        watermark = store.lock_state(conn, db.dialect)
        rows = store.pending(conn, watermark, limit)
        nodes = [node_of(r) for r in rows]
        candidates = store.Candidates(conn, db.dialect)
        try:
            # Nodes first, so later observations of the same batch find earlier ones as candidates.
            candidates.insert_nodes(nodes)
            candidates.insert_links(link_new(nodes, candidates, rules))
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
        store.clear(conn)
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
