"""Fusion does not depend on the order observations arrive in: the same reports, permuted, fuse alike."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from markaz.analysis import fused
from markaz.analysis.fusion import run_fusion
from markaz.centre import Centre
from tests.analysis.fusion_helpers import point, submit
from tests.conftest import Account

_runs = itertools.count(1)
NOW = datetime(2031, 1, 1, tzinfo=UTC)
STEP = 0.0065

spec = st.tuples(
    st.integers(0, 3),  # member
    st.sampled_from(["weapons_depot", "gathering", "movement"]),
    st.integers(0, 4),
    st.integers(0, 2),
    st.integers(0, 30),  # hours
    st.sampled_from([None, "status:destroyed"]),
    st.sampled_from(["Jaysh al-Islam", "جيش الإسلام"]),
)


@settings(max_examples=8)
@given(data=st.data(), specs=st.lists(spec, min_size=2, max_size=10))
def test_permuted_arrival_gives_the_same_picture(
    centre: Centre, accounts: dict[str, Account], data: st.DataObject, specs: list[Any]
) -> None:
    run = next(_runs)
    order = data.draw(st.permutations(range(len(specs))))
    start = datetime(2030, 1, 1, tzinfo=UTC) + timedelta(days=40 * run)
    members = list(accounts.values())
    pictures = []
    for region, sequence in (("Alpha", list(range(len(specs)))), ("Bravo", order)):
        lon0 = 40.0 + (run % 30) * 0.2 + (0.1 if region == "Bravo" else 0.0)
        index_of: dict[int, int] = {}
        for position, k in enumerate(sequence):
            member, category, x, y, hours, note, subject = specs[k]
            obs = {
                "category": category,
                "geometry": point(lon0 + x * STEP, 30.0 + y * STEP),
                "observed_at": (start + timedelta(hours=hours)).isoformat(),
                "note": note,
                "subject": f"{subject} {region}" if category == "movement" else None,
            }
            _, nodes = submit(centre, members[member], [obs])
            index_of[nodes[0].id] = k
            if position % 3 == 2:
                run_fusion(centre, limit=2)
        while run_fusion(centre, limit=4):
            pass
        # This region and this example's days only.
        here = fused.FusedFilter(
            bbox=(lon0 - 0.001, 29.999, lon0 + 5 * STEP, 30.0 + 3 * STEP),
            since=start,
            until=start + timedelta(days=2),
        )
        picture = set()
        for lister, getter in ((fused.list_sites, fused.get_site), (fused.list_tracks, fused.get_track)):
            for item in lister(centre, "IQ", here, limit=1000, now=NOW)["items"]:
                detail = getter(centre, "IQ", item["id"], now=NOW)
                group = frozenset(index_of[c["observation_id"]] for c in detail["contributions"])
                picture.add((group, item["confidence"], item["contested"], item["observations"]))
        pictures.append(picture)
    assert sum(len(group) for group, *_ in pictures[0]) == len(specs)
    assert pictures[0] == pictures[1]
