"""Comments on fused sites and tracks: a viewer reads a comment only where it may see its anchor."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from markaz.analysis.fusion import fuse_all
from markaz.centre import Centre
from markaz.storage import audit
from tests.asgi_client import ASGIClient
from tests.conftest import Account, add_account

_run = itertools.count(1)
SEEN = (datetime.now(UTC) - timedelta(hours=2)).isoformat()


def _observe(
    client: ASGIClient,
    account: Account,
    releasable_to: list[str],
    *,
    dx_m: float = 0.0,
    category: str = "gathering",
    line: bool = False,
) -> int:
    lon, lat = 42.95 + dx_m / 90_000, 36.20
    geometry: dict[str, Any] = (
        {"type": "LineString", "coordinates": [[lon, lat], [lon + 0.01, lat + 0.01]]}
        if line
        else {"type": "Point", "coordinates": [lon, lat]}
    )
    r = client.post(
        "/api/v1/reports",
        headers=account.headers,
        json={
            "title": "[SYNTHETIC] gathering",
            "releasable_to": releasable_to,
            "information_credibility": "2",
            "source_reliability": "B",
            "observations": [
                {
                    "category": category,
                    "geometry": geometry,
                    "observed_at": SEEN,
                    "subject": "Group C (synthetic)",
                }
            ],
        },
    )
    assert r.status_code == 201, r.text
    return int(r.json()["observations"][0]["id"])


def test_site_comments_follow_the_anchor(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account]
) -> None:
    iq, ru, sy, ir = (accounts[c] for c in ("IQ", "RU", "SY", "IR"))
    c = _observe(client, sy, ["SY", "RU"])  # the smallest id: RU and SY know the site as S<c>
    a = _observe(client, iq, ["IQ", "RU", "SY"], dx_m=80)  # IQ knows it as S<a>
    fuse_all(centre)
    assert client.get(f"/api/v1/sites/S{c}", headers=ru.headers).json()["observations"] == 2
    r = client.post(
        f"/api/v1/sites/S{a}/comments", headers=ru.headers, json={"text": "Same group.", "opinion": "agree"}
    )
    assert r.status_code == 201, r.text
    by_ru = r.json()
    assert by_ru["item"] == {"type": "site", "id": f"S{c}"}  # stored under RU's own id of the site
    r = client.post(f"/api/v1/sites/S{a}/comments", headers=iq.headers, json={"text": "Seen on the 12th."})
    assert r.status_code == 201 and r.json()["item"]["id"] == f"S{a}"
    by_iq = r.json()

    def thread(account: Account, site: str) -> Any:
        return client.get(f"/api/v1/sites/{site}/comments", headers=account.headers)

    # SY and RU see both; IQ cannot see observation c, so RU's comment (anchored at S<c>) does
    # not exist for it: not in the thread, not in the count, not in the tally.
    for account in (ru, sy):
        page = thread(account, f"S{c}").json()
        assert page["count"] == 2 and [x["id"] for x in page["items"]] == [by_ru["id"], by_iq["id"]]
        assert page["item"]["id"] == f"S{c}"
    iq_page = thread(iq, f"S{a}").json()
    assert iq_page["count"] == 1 and [x["id"] for x in iq_page["items"]] == [by_iq["id"]]
    assert iq_page["opinions"]["agree"] == 0
    assert thread(iq, f"S{c}").status_code == 404  # an id IQ may not know answers like none
    assert thread(ir, f"S{a}").status_code == 404
    assert (
        client.post(f"/api/v1/sites/S{a}/comments", headers=ir.headers, json={"text": "x"}).status_code == 404
    )
    # Replying to a comment IQ cannot see is the same as replying to none.
    r = client.post(
        f"/api/v1/sites/S{a}/comments", headers=iq.headers, json={"text": "re", "reply_to": by_ru["id"]}
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "reply_to"
    # SY (an originator that sees the anchor) is told of RU's comment; IQ is not.
    told = client.get("/api/v1/comments/notifications", headers=sy.headers).json()["items"]
    assert [x["id"] for x in told] == [by_ru["id"]]
    assert client.get("/api/v1/comments/notifications", headers=iq.headers).json()["items"] == []
    with centre.db.read() as conn:
        assert audit.verify(conn).ok


def test_track_comments(centre: Centre, client: ASGIClient, accounts: dict[str, Account]) -> None:
    o = _observe(client, accounts["IQ"], ["ALL"], category="movement", line=True)
    fuse_all(centre)
    r = client.post(
        f"/api/v1/tracks/T{o}/comments",
        headers=accounts["RU"].headers,
        json={"text": "Moving north.", "opinion": "neutral"},
    )
    assert r.status_code == 201, r.text
    page = client.get(f"/api/v1/tracks/T{o}/comments", headers=accounts["IQ"].headers).json()
    assert page["count"] == 1 and page["opinions"]["neutral"] == 1
    assert client.get(f"/api/v1/sites/T{o}/comments", headers=accounts["IQ"].headers).status_code == 404
    assert client.get(f"/api/v1/tracks/S{o}/comments", headers=accounts["IQ"].headers).status_code == 404


release = st.one_of(st.none(), st.sets(st.integers(min_value=0, max_value=3), max_size=3))


@settings(max_examples=15)
@given(
    n_members=st.integers(min_value=2, max_value=4),
    specs=st.lists(st.tuples(st.integers(0, 3), release), min_size=1, max_size=5),
    commenters=st.lists(st.integers(0, 3), max_size=4),
)
def test_site_comment_visibility_over_random_releasability(
    centre: Centre,
    client: ASGIClient,
    n_members: int,
    specs: list[tuple[int, set[int] | None]],
    commenters: list[int],
) -> None:
    run = next(_run)
    accounts = [add_account(centre, f"F{run:04d}{i}") for i in range(n_members)]
    codes = [a.member for a in accounts]
    # Each example reports far from the previous ones, so its observations fuse only together.
    shift = run * 2_000.0
    seen_by: dict[int, set[str]] = {}
    for k, (origin_i, rel) in enumerate(specs):
        origin = accounts[origin_i % n_members]
        releasable = ["ALL"] if rel is None else sorted({codes[i % n_members] for i in rel} | {origin.member})
        oid = _observe(client, origin, releasable, dx_m=shift + 40 * k)
        seen_by[oid] = set(codes) if rel is None else set(releasable)
    fuse_all(centre)
    visible = {c: sorted(o for o, who in seen_by.items() if c in who) for c in codes}
    anchors: dict[str, int] = {}  # comment id -> anchoring observation
    for i in commenters:
        account = accounts[i % n_members]
        mine = visible[account.member]
        target = f"S{max(seen_by)}"  # the id of the newest observation: an alias for some
        r = client.post(
            f"/api/v1/sites/{target}/comments",
            headers=account.headers,
            json={"text": f"from {account.member}"},
        )
        if max(seen_by) not in mine:
            assert r.status_code == 404
            continue
        assert r.status_code == 201, r.text
        anchors[r.json()["id"]] = int(r.json()["item"]["id"][1:])
        assert anchors[r.json()["id"]] == mine[0]  # the commenter's own id of the site
    for account in accounts:
        mine = visible[account.member]
        if not mine:
            assert (
                client.get(f"/api/v1/sites/S{max(seen_by)}/comments", headers=account.headers).status_code
                == 404
            )
            continue
        page = client.get(
            f"/api/v1/sites/S{mine[0]}/comments", headers=account.headers, params={"limit": 1000}
        ).json()
        expected = {cid for cid, anchor in anchors.items() if anchor in mine}
        assert {x["id"] for x in page["items"]} == expected and page["count"] == len(expected)
