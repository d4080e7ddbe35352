"""No leak: generated releasability sets and subscriptions; every webhook receiver, inbox and stream
gets exactly what it should, computed here by an independent model of the rules."""

from __future__ import annotations

import itertools
from contextlib import ExitStack
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from markaz.centre import Centre
from markaz.dissemination.worker import run_until_idle
from markaz.domain.enums import MemberStatus, Precedence, Role
from markaz.storage.members import set_member_status
from tests.asgi_client import ASGIClient, asgi_client
from tests.conftest import add_account
from tests.dissemination.conftest import hook
from tests.dissemination.receiver import Receiver, receiving
from tests.dissemination.test_pull import parse_events

SLOTS = 4
CATEGORIES = ("position", "gathering", "weapons_depot")
PRECEDENCES = [p.value for p in Precedence]
_run = itertools.count(1)

subscription = st.fixed_dictionaries(
    {
        "bbox": st.one_of(st.none(), st.sampled_from([[36, 32, 41, 35], [40, 34, 46, 37], [36, 32, 46, 37]])),
        "categories": st.one_of(
            st.none(), st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2, unique=True)
        ),
        "min_precedence": st.one_of(st.none(), st.sampled_from(PRECEDENCES)),
    }
)
report = st.tuples(
    st.integers(0, SLOTS - 1),  # originator slot
    st.one_of(st.none(), st.sets(st.integers(0, SLOTS - 1), max_size=3)),  # None = ALL
    st.sampled_from(PRECEDENCES),
    st.sampled_from(CATEGORIES),
    st.floats(36.5, 45.5),
    st.floats(32.5, 36.5),
)


def _matches(sub: dict[str, Any], precedence: str, category: str, lon: float, lat: float) -> bool:
    if sub["min_precedence"] and Precedence(precedence).rank > Precedence(sub["min_precedence"]).rank:
        return False
    if sub["categories"] and category not in sub["categories"]:
        return False
    if sub["bbox"]:
        x0, y0, x1, y1 = sub["bbox"]
        return x0 <= lon <= x1 and y0 <= lat <= y1
    return True


@settings(max_examples=10)
@given(
    subs=st.lists(st.lists(subscription, max_size=2), min_size=SLOTS, max_size=SLOTS),
    specs=st.lists(report, min_size=1, max_size=6),
    hooked=st.lists(st.booleans(), min_size=SLOTS, max_size=SLOTS),
)
def test_each_channel_gets_exactly_what_it_should(
    fast: Centre, subs: list[list[dict[str, Any]]], specs: list[Any], hooked: list[bool]
) -> None:
    with ExitStack() as stack:
        receivers = [stack.enter_context(receiving(f"no-leak-secret-{i}-0123456789")) for i in range(SLOTS)]
        _example(fast, receivers, subs, specs, hooked)


def _example(
    fast: Centre,
    receivers: list[Receiver],
    subs: list[list[dict[str, Any]]],
    specs: list[Any],
    hooked: list[bool],
) -> None:
    run = next(_run)
    codes = [f"L{run:03d}{i}" for i in range(SLOTS)]
    analysts = [add_account(fast, code) for code in codes]
    admins = [add_account(fast, code, Role.MEMBER_ADMIN, new_member=False) for code in codes]
    with asgi_client(_app(fast)) as client:
        for i, code in enumerate(codes):
            if hooked[i]:
                hook(fast, code, receivers[i].url, receivers[i].secret)
            for n, sub in enumerate(subs[i]):
                body = {"name": f"s{n}", **{k: v for k, v in sub.items() if v is not None}}
                assert (
                    client.post("/api/v1/subscriptions", headers=admins[i].headers, json=body).status_code
                    == 201
                )
        # A FLASH marker to everyone gives each member a place to resume its stream from.
        marker = _submit(client, analysts[0], ["ALL"], "FLASH", "position", 40.0, 34.0)
        assert run_until_idle(fast, timeout=60)
        starts = {}
        for i in range(1, SLOTS):
            (item,) = client.get("/api/v1/inbox", headers=analysts[i].headers).json()["items"]
            assert item["report"]["id"] == marker
            starts[i] = item["delivery_id"]
        expected: dict[int, set[str]] = {i: set() for i in range(SLOTS)}
        for origin, release, precedence, category, lon, lat in specs:
            named = ["ALL"] if release is None else sorted({codes[j] for j in release} | {codes[origin]})
            rid = _submit(client, analysts[origin], named, precedence, category, lon, lat)
            audience = set(range(SLOTS)) if release is None else set(release)
            for j in audience - {origin}:
                urgent = Precedence(precedence).rank <= Precedence.IMMEDIATE.rank
                if urgent or not subs[j] or any(_matches(s, precedence, category, lon, lat) for s in subs[j]):
                    expected[j].add(rid)
        assert run_until_idle(fast, timeout=60)
        for i in range(SLOTS):
            want = expected[i] | ({marker} if i else set())
            inbox = client.get("/api/v1/inbox?limit=1000", headers=analysts[i].headers).json()["items"]
            assert {item["report"]["id"] for item in inbox} == want
            pushed = {r["report"]["id"] for r in receivers[i].received if r["report"]["originator"] in codes}
            assert pushed == (want if hooked[i] else set())
            assert receivers[i].bad_signatures == 0
            if i:
                text = client.get(
                    "/api/v1/stream?timeout=0.15", headers={**analysts[i].headers, "Last-Event-ID": starts[i]}
                ).text
                assert {e["data"]["report"]["id"] for e in parse_events(text)} == expected[i]
    # This example's members leave the stage, so later examples' ALL does not reach them.
    with fast.db.write() as conn:
        for code in codes:
            set_member_status(conn, fast.db.dialect, code, MemberStatus.SUSPENDED, actor="test")


def _submit(
    client: ASGIClient, who: Any, release: list[str], precedence: str, category: str, lon: float, lat: float
) -> str:
    body = {
        "title": "generated",
        "releasable_to": release,
        "precedence": precedence,
        "observations": [{"category": category, "geometry": {"type": "Point", "coordinates": [lon, lat]}}],
    }
    r = client.post("/api/v1/reports", headers=who.headers, json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _app(centre: Centre) -> Any:
    from markaz.app import create_app

    return create_app(centre.settings, centre)
