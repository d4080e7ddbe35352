"""The engine's stored graph: atoms are exactly the components of same-audience matches, and the
stored links exactly the other links, whatever the batches and the order of arrival."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from markaz.analysis.fusion import match_all, run_fusion
from markaz.analysis.matching import MatchRules, Node
from markaz.centre import Centre
from markaz.storage.schema_fusion import fusion_edges, fusion_nodes
from tests.analysis.fusion_helpers import point, submit
from tests.conftest import Account

_runs = itertools.count(1)
STEP = 0.0065  # about 600 m: neighbours match (1 km), two steps apart do not

observation = st.tuples(
    st.integers(0, 2),  # originator
    st.sampled_from([None, None, (0, 1)]),  # releasability (None = ALL): two or three audiences
    st.sampled_from(["weapons_depot", "gathering", "movement", "movement"]),
    st.integers(0, 4),  # x: chains of sites that match only through their neighbours
    st.integers(0, 4).map(lambda k: 16 * k),  # hours: within 24 h only neighbours join
    st.sampled_from([None, "status:destroyed"]),
)


@settings(max_examples=30, deadline=None)
@given(specs=st.lists(observation, min_size=2, max_size=16), batch=st.integers(1, 5), in_time=st.booleans())
def test_atoms_are_the_same_audience_components(
    centre: Centre, accounts: dict[str, Account], specs: list[Any], batch: int, in_time: bool
) -> None:
    if in_time:  # arrival in time order: a late sighting joins a chain through its last link
        specs = sorted(specs, key=lambda s: s[4])
    run = next(_runs)
    start = datetime(2032, 1, 1, tzinfo=UTC) + timedelta(days=80 * run)
    members = list(accounts.values())
    codes = list(accounts)
    nodes: list[Node] = []
    audience: dict[int, frozenset[str]] = {}
    for k, (member, release, category, x, hours, note) in enumerate(specs):
        released = ["ALL"] if release is None else sorted({codes[member], *(codes[i] for i in release)})
        _, made = submit(
            centre,
            members[member],
            [
                {
                    "category": category,
                    # Sites step east along a line; a track moves 600 m an hour at most.
                    "geometry": point(44.0 + (run % 40) * 0.1 + x * STEP, 33.0),
                    "observed_at": (start + timedelta(hours=hours)).isoformat(),
                    "note": note,
                    "subject": "Liwa Test" if category == "movement" else None,
                }
            ],
            releasable_to=released,
        )
        nodes += made
        for n in made:
            audience[n.id] = frozenset(codes) if release is None else frozenset(released)
        if k % batch == batch - 1:
            run_fusion(centre, limit=batch)
    while run_fusion(centre, limit=batch):
        pass
    ids = {n.id for n in nodes}
    with centre.db.read() as conn:
        atom = {
            int(i): int(a)
            for i, a in conn.execute(
                select(fusion_nodes.c.obs_id, fusion_nodes.c.atom).where(fusion_nodes.c.obs_id.in_(ids))
            )
        }
        stored = {
            (int(a), int(b))
            for a, b in conn.execute(
                select(fusion_edges.c.a, fusion_edges.c.b).where(fusion_edges.c.a.in_(ids))
            )
        }
    links = match_all(nodes, MatchRules.from_settings(centre.settings))
    # Expected atoms by brute force: components of matches between nodes of one audience,
    # each named by its smallest id.
    label = {i: i for i in ids}

    def find(i: int) -> int:
        while label[i] != i:
            i = label[i]
        return i

    for lk in links:
        if lk.matched and audience[lk.a] == audience[lk.b]:
            ra, rb = find(lk.a), find(lk.b)
            label[max(ra, rb)] = min(ra, rb)
    assert atom == {i: find(i) for i in ids}
    # Stored: every link that is not a same-audience match, except that a contradiction between
    # two observations already in one atom when the second arrived may be left out (reads take
    # every pair inside an atom from the nodes). Between atoms, nothing may be missing.
    kept = {(lk.a, lk.b) for lk in links if not (lk.matched and audience[lk.a] == audience[lk.b])}
    assert stored <= kept
    assert {(a, b) for a, b in kept - stored if atom[a] != atom[b]} == set()
