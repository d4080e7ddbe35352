"""Generated cases: every read path shows a member exactly its own reports and those released to it."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from markaz.centre import Centre
from markaz.domain.enums import MemberStatus
from markaz.storage.members import set_member_status
from tests.asgi_client import ASGIClient
from tests.conftest import add_account

_counter = itertools.count(1)

report_spec = st.tuples(
    st.integers(min_value=0, max_value=4),  # originator index
    st.one_of(st.just(None), st.sets(st.integers(min_value=0, max_value=4), max_size=4)),  # None = ALL
    st.floats(min_value=36.0, max_value=46.0),
    st.floats(min_value=32.0, max_value=37.0),
)


@settings(max_examples=40)
@given(
    n_members=st.integers(min_value=2, max_value=5),
    specs=st.lists(report_spec, min_size=1, max_size=8),
    suspended=st.sets(st.integers(min_value=0, max_value=4), max_size=1),
    bbox=st.tuples(st.floats(36, 41), st.floats(32, 34.5), st.floats(41, 46), st.floats(34.5, 37)),
)
def test_every_read_path_shows_exactly_what_is_released(
    centre: Centre,
    client: ASGIClient,
    n_members: int,
    specs: list[Any],
    suspended: set[int],
    bbox: tuple[float, float, float, float],
) -> None:
    # Fresh member codes per example, so earlier examples' reports (resolved when accepted)
    # can never be visible to this example's members: that is the rule under test too.
    run = next(_counter)
    accounts = [add_account(centre, f"M{run:04d}{i}") for i in range(n_members)]
    codes = [a.member for a in accounts]
    marker = f"marker{run}x"
    # A suspended member is not active: ALL excludes it and naming it is refused.
    inactive = {codes[i] for i in suspended if i < n_members and i != 0}
    for code in inactive:
        with centre.db.write() as conn:
            set_member_status(conn, centre.db.dialect, code, MemberStatus.SUSPENDED, actor="test")
    expected: dict[str, set[str]] = {c: set() for c in codes}
    located: dict[str, tuple[float, float]] = {}
    for origin_i, release, lon, lat in specs:
        origin = codes[origin_i % n_members]
        if origin in inactive:
            continue
        if release is None:
            releasable = ["ALL"]
            audience = {c for c in codes if c not in inactive}
        else:
            named = sorted({codes[i % n_members] for i in release} - inactive)
            releasable = named or [origin]
            audience = set(releasable)
        audience.add(origin)
        account = accounts[codes.index(origin)]
        r = client.post(
            "/api/v1/reports",
            headers=account.headers,
            json={
                "title": f"{marker} report",
                "releasable_to": releasable,
                "observations": [
                    {"category": "position", "geometry": {"type": "Point", "coordinates": [lon, lat]}}
                ],
            },
        )
        assert r.status_code == 201, r.text
        rid = r.json()["id"]
        located[rid] = (lon, lat)
        for code in audience:
            expected[code].add(rid)
    all_ids = set(located)
    in_box = {
        rid for rid, (lon, lat) in located.items() if bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]
    }
    for account in accounts:
        if account.member in inactive:
            assert client.get("/api/v1/reports", headers=account.headers).status_code == 403
            continue
        h = account.headers
        want = expected[account.member]
        for rid in all_ids:
            status = client.get(f"/api/v1/reports/{rid}", headers=h).status_code
            assert status == (200 if rid in want else 404)
        listed = {
            i["id"] for i in client.get("/api/v1/reports", headers=h, params={"limit": 1000}).json()["items"]
        }
        assert listed & all_ids == want
        searched = {
            i["id"] for i in client.get("/api/v1/reports", headers=h, params={"q": marker}).json()["items"]
        }
        assert searched == want
        box = ",".join(str(v) for v in bbox)
        boxed = {
            i["id"]
            for i in client.get("/api/v1/reports", headers=h, params={"bbox": box, "limit": 1000}).json()[
                "items"
            ]
        }
        assert boxed & all_ids == want & in_box
        fc = client.get(
            "/api/v1/observations.geojson", headers=h, params={"bbox": box, "limit": 10000}
        ).json()
        mapped = {f["properties"]["report_id"] for f in fc["features"]}
        assert mapped & all_ids == want & in_box
