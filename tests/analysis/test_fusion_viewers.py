"""The most important property of fusion: each member's fused picture is fusion of what it may see, only."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from markaz.analysis import decisions, fused
from markaz.analysis.fusion import run_fusion
from markaz.analysis.graph import Decision
from markaz.analysis.matching import MatchRules, Node
from markaz.analysis.reference import fuse_from_scratch
from markaz.centre import Centre
from tests.analysis.fusion_helpers import comparable, point, submit
from tests.asgi_client import ASGIClient
from tests.conftest import add_account

_runs = itertools.count(1)
NOW = datetime(2030, 1, 1, tzinfo=UTC)
STEP = 0.0065  # about 600 m: neighbours on the grid match (1 km), two steps apart do not

observation = st.tuples(
    st.integers(0, 3),  # originator
    st.one_of(st.none(), st.sets(st.integers(0, 3), max_size=3)),  # releasability (None = ALL)
    st.sampled_from(["weapons_depot", "command_post", "gathering", "movement"]),
    st.integers(0, 5),  # grid x
    st.integers(0, 2),  # grid y
    st.integers(0, 60),  # hours after the run's start
    st.sampled_from([None, "status:destroyed", "status:active"]),
    st.sampled_from(["A", "C", "F"]),
    st.sampled_from(["1", "3", "6"]),
    st.sampled_from(["Jaysh al-Islam", "جيش الإسلام", "Liwa Fatemiyoun"]),
)


def _pages(client: ASGIClient, path: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        r = client.get(path, headers=headers, params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        if not body["next_cursor"]:
            return items
        params = {"limit": 2, "cursor": body["next_cursor"]}


@settings(max_examples=15)
@given(
    specs=st.lists(observation, min_size=1, max_size=12),
    fuse_after=st.lists(st.booleans(), min_size=12, max_size=12),
    decider=st.one_of(st.none(), st.integers(0, 3)),
)
def test_each_member_sees_fusion_of_its_visible_observations_only(
    centre: Centre,
    client: ASGIClient,
    specs: list[Any],
    fuse_after: list[bool],
    decider: int | None,
) -> None:
    run = next(_runs)
    accounts = [add_account(centre, f"F{run:03d}{i}") for i in range(4)]
    codes = [a.member for a in accounts]
    # Each example lives in its own place and time, far from the earlier examples' reports.
    lon0, lat0 = 40.0 + (run % 40) * 0.2, 30.0 + (run // 40) * 0.2
    start = datetime(2029, 1, 1, tzinfo=UTC) + timedelta(days=40 * run)
    visible: dict[str, list[Node]] = {c: [] for c in codes}
    all_ids: list[int] = []
    for index, (origin, release, category, x, y, hours, note, rel, cred, subject) in enumerate(specs):
        audience = set(codes) if release is None else {codes[i] for i in release} | {codes[origin]}
        releasable = ["ALL"] if release is None else sorted({codes[i] for i in release} | {codes[origin]})
        obs = {
            "category": category,
            "geometry": point(lon0 + x * STEP, lat0 + y * STEP),
            "observed_at": (start + timedelta(hours=hours)).isoformat(),
            "note": note,
            "subject": subject if category == "movement" else None,
        }
        _, nodes = submit(
            centre, accounts[origin], [obs], releasable_to=releasable, reliability=rel, credibility=cred
        )
        for code in audience:
            visible[code] += nodes
        all_ids += [n.id for n in nodes]
        if fuse_after[index]:
            run_fusion(centre, limit=2)
    while run_fusion(centre, limit=3):
        pass

    made: list[Decision] = []
    if decider is not None:
        mine = fused.list_sites(centre, codes[decider], limit=1000)["items"]
        target = next((s for s in mine if s["observations"] >= 2), None)
        if target is not None:
            detail = fused.get_site(centre, codes[decider], target["id"])
            ids = [c["observation_id"] for c in detail["contributions"]]
            result = decisions.split(
                centre,
                accounts[decider].principal,
                target["id"],
                decisions.SplitRequest(observations=[ids[-1]], reason="test: not the same place"),
            )
            made.append(Decision(result["decision"]["id"], "split", (tuple(ids[:-1]), (ids[-1],))))

    rules = MatchRules.from_settings(centre.settings)
    half_lives = centre.settings.fusion_half_life_days
    for account in accounts:
        seen = visible[account.member]
        expected = fuse_from_scratch(
            seen,
            rules,
            half_lives=half_lives,
            now=NOW,
            decisions=made,
            released={n.id for n in seen},
            detail=True,
        )
        # Through the read functions, with the clock fixed: everything, confidence included.
        for kind, lister in (("site", fused.list_sites), ("track", fused.list_tracks)):
            got = lister(centre, account.member, limit=1000, now=NOW)["items"]
            assert [comparable(i) for i in got] == [comparable(i) for i in expected[kind]]
        # Through the API, page by page: the same items (confidence moves with the clock).
        for kind, path in (("site", "/api/v1/sites"), ("track", "/api/v1/tracks")):
            got = _pages(client, path, account.headers)
            assert [comparable(i, with_confidence=False) for i in got] == [
                comparable(i, with_confidence=False) for i in expected[kind]
            ]
        # Every observation id as an item id: the holding item if visible, else 404 like nothing.
        holder = {
            o: item["id"]
            for kind in ("site", "track")
            for item in expected[kind]
            for o in (c["observation_id"] for c in item["contributions"])
        }
        for obs_id in all_ids:
            for prefix, path in (("S", "sites"), ("T", "tracks")):
                r = client.get(f"/api/v1/{path}/{prefix}{obs_id}", headers=account.headers)
                want = holder.get(obs_id)
                if want is not None and want.startswith(prefix):
                    assert r.status_code == 200, r.text
                    assert r.json()["id"] == want
                    assert {c["observation_id"] for c in r.json()["contributions"]} <= {n.id for n in seen}
                else:
                    assert r.status_code == 404, r.text
                    assert r.json()["error"]["code"] == "not_found"
