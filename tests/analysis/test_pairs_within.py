"""The grid search for links inside a set of observations finds exactly what comparing every pair finds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from markaz.analysis.fusion import match_all
from markaz.analysis.matching import MatchRules, Node, pairs_within

CATEGORIES = {
    "weapons_depot": "installation",
    "command_post": "installation",
    "gathering": "presence",
    "incident": "incident",
    "movement": "movement",
}


@st.composite
def nodes(draw: st.DrawFn) -> list[Node]:
    out = []
    # Clustered around a few places at different latitudes (the grid's cells narrow with
    # latitude), at distances on both sides of the radius, and across the time window.
    centres = draw(st.lists(st.tuples(st.floats(-60, 60), st.floats(-179, 179)), min_size=1, max_size=3))
    for i in range(draw(st.integers(0, 40))):
        lat0, lon0 = draw(st.sampled_from(centres))
        category = draw(st.sampled_from(sorted(CATEGORIES)))
        subject = draw(st.sampled_from(["jyshlslm", "lwbdr", None]))
        out.append(
            Node(
                id=i + 1,
                report_id="R",
                family=CATEGORIES[category],
                category=category,
                lon=lon0 + draw(st.floats(-0.03, 0.03)),
                lat=lat0 + draw(st.floats(-0.03, 0.03)),
                t=draw(st.floats(0, 40 * 86400)),
                originator=draw(st.sampled_from(["IQ", "RU"])),
                status=draw(st.sampled_from(["active", "destroyed"])),
                credibility="2",
                reliability="B",
                subject=subject,
                subject_key=subject if category == "movement" else None,
            )
        )
    return out


@settings(max_examples=200, deadline=None)
@given(found=nodes(), radius=st.sampled_from([300.0, 1000.0, 2500.0]), wide=st.booleans())
def test_grid_pairs_equal_every_pair(found: list[Node], radius: float, wide: bool) -> None:
    rules = MatchRules(
        site_radius_m=radius,
        radius_by_category={"command_post": 4000.0} if wide else {},
        site_window_s=30 * 86400.0,
        track_window_s=24 * 3600.0,
    )
    expected = {(lk.a, lk.b): lk for lk in match_all(found, rules)}
    got = {(lk.a, lk.b): lk for lk in pairs_within(found, rules)}
    assert got == expected
