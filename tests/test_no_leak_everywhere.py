"""Generated centres: on every read path of the app, a member sees nothing of what is not released to it."""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from markaz.analysis.fusion import fuse_all
from markaz.app import create_app
from markaz.centre import Centre
from markaz.cli.worker import run_jobs_once
from markaz.dissemination import stix
from markaz.dissemination.taxii import collection_id
from markaz.dissemination.worker import run_until_idle
from markaz.domain.enums import MemberStatus, Role
from markaz.governance import chair
from markaz.storage import principals
from markaz.storage.members import set_member_status
from tests import leak_walk
from tests.asgi_client import ASGIClient, asgi_client
from tests.conftest import Account, add_account, seat_chair
from tests.web.conftest import CHEAP_HASHER, add_person, sign_in

_run = itertools.count(1)
EXAMPLES = 10
CLUSTERS = [(40.31, 35.22), (41.07, 34.61)]  # two places; jitter keeps reports within fusion's reach
CATEGORIES = ["position", "gathering", "weapons_depot", "movement"]
_chairs: dict[str, tuple[str, Account, str]] = {}
# The chair lives through every example of a database: what it may see, observation -> originator.
_chair_sees: dict[str, dict[int, str]] = {}

report_spec = st.fixed_dictionaries(
    {
        "origin": st.integers(0, 4),
        # None: ALL; "circle": the example's circle; a set: those members (index 5 = the chair)
        "release": st.one_of(st.none(), st.just("circle"), st.sets(st.integers(0, 5), max_size=3)),
        "cluster": st.integers(0, 1),
        "category": st.sampled_from(CATEGORIES),
        "jitter": st.tuples(st.integers(0, 9), st.integers(0, 9)),
        "hours_ago": st.integers(1, 20),
    }
)
comment_spec = st.tuples(st.integers(0, 4), st.integers(0, 7), st.booleans())  # who, which report, on site


@pytest.fixture(autouse=True)
def _cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(principals, "_hasher", CHEAP_HASHER)


@dataclass
class Item:
    """A report of the generated world: who may see it, and strings only its readers may meet."""

    id: str
    audience: set[str]
    markers: list[str]
    coords: list[tuple[float, float]] = field(default_factory=list)
    observations: list[int] = field(default_factory=list)
    originator: str = ""
    category: str = ""


@dataclass
class Said:
    """A comment: its text, who may read it, and what it is on (a report, or a fused item's anchor)."""

    text: str
    readers: set[str]
    report: str | None = None
    anchor: int | None = None


@dataclass
class Member:
    code: str
    analyst: Account
    admin: Account
    person: str


def _coordinate(base: float, run: int, jitter: int, unique: int) -> float:
    # Micro-degrees: base, the example in 2e-3 steps (the chair sees every example's items, so
    # numbers must differ across examples too), jitter in 1e-4 steps (about 10 m), and unique
    # last two digits that never end in 0, so the number prints with six decimals, verbatim.
    return (round(base * 1e6) + run * 2000 + jitter * 100 + unique) / 1e6


def _unique(n: int) -> int:
    return [u for u in range(11, 100) if u % 10][n]


def _chair(centre: Centre) -> tuple[str, Account, str]:
    """One chair per database (set up once): a member of its own whose admin publishes products."""
    key = centre.settings.database_url
    if key not in _chairs:
        code = f"K{next(_run):04d}"
        add_account(centre, code)
        seat_chair(centre, code)
        assert chair.current(centre).member == code
        person = f"{code.lower()}.chair"
        add_person(centre, code, person, Role.MEMBER_ADMIN, new_member=False)
        _chairs[key] = (code, add_account(centre, code, Role.MEMBER_ADMIN, new_member=False), person)
    return _chairs[key]


def _member(centre: Centre, code: str) -> Member:
    analyst = add_account(centre, code)
    admin = add_account(centre, code, Role.MEMBER_ADMIN, new_member=False)
    person = f"{code.lower()}.person"
    add_person(centre, code, person, new_member=False)
    return Member(code, analyst, admin, person)


def _ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def _settle(centre: Centre) -> None:
    while run_jobs_once(centre):
        pass
    fuse_all(centre)
    assert run_until_idle(centre, timeout=60)


_web_apps: dict[str, Any] = {}


@contextmanager
def _web(centre: Centre) -> Iterator[ASGIClient]:
    """A client of its own (its own cookies) for one member's session, on one app per database."""
    key = centre.settings.database_url
    if key not in _web_apps:
        # Every member signs in from the same test address within seconds: no per-address limit.
        quiet = centre.settings.model_copy(update={"signin_attempts_per_minute": 0})
        _web_apps[key] = create_app(quiet, centre)
    with asgi_client(_web_apps[key]) as c:
        yield c


# Each example builds a whole centre and walks a few thousand requests: no shrinking (a failure
# prints the generated example as found), and a bounded number of examples.
@settings(
    max_examples=EXAMPLES,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(
    n_members=st.integers(3, 5),
    specs=st.lists(report_spec, min_size=3, max_size=7),
    comments=st.lists(comment_spec, max_size=3),
    correct=st.integers(0, 7),
    retract=st.integers(0, 7),
    recipients=st.sets(st.integers(0, 4), max_size=3),
    suspend=st.one_of(st.none(), st.integers(1, 4)),
    seed=st.integers(0, 2**32),  # which items are read by id (a fixed draw, so replays agree)
)
def test_no_read_path_leaks_what_a_member_may_not_see(
    centre: Centre,
    client: ASGIClient,
    n_members: int,
    specs: list[dict[str, Any]],
    comments: list[tuple[int, int, bool]],
    correct: int,
    retract: int,
    recipients: set[int],
    suspend: int | None,
    seed: int,
) -> None:
    run = next(_run)
    rnd = random.Random(seed)
    chair_code, chair_admin, chair_person = _chair(centre)
    members = [_member(centre, f"N{run:04d}{i}") for i in range(n_members)]
    codes = [m.code for m in members]
    everyone = {*codes, chair_code}
    # A circle of the first two members, consented by both.
    circle = f"c{run}"
    _ok(
        client.post(
            "/api/v1/circles",
            headers=members[0].admin.headers,
            json={"name": circle, "description": "generated", "members": codes[:2]},
        ),
        201,
    )
    _ok(client.post(f"/api/v1/circles/{circle}:consent", headers=members[1].admin.headers))

    items: list[Item] = []
    sent: list[tuple[dict[str, Any], Member]] = []  # what each report was submitted as, and by whom
    now = datetime.now(UTC)
    n_obs = 0
    for k, spec in enumerate(specs):
        origin = members[spec["origin"] % n_members]
        pool = [*codes, chair_code]
        if spec["release"] is None:
            releasable, audience = ["ALL"], set(everyone)
        elif spec["release"] == "circle":
            releasable, audience = [f"circle:{circle}"], {*codes[:2], origin.code}
        else:
            named = sorted({pool[i % len(pool)] for i in spec["release"]})
            releasable = named or [origin.code]
            audience = {*releasable, origin.code}
        tag = f"{run}r{k}x"
        cx, cy = CLUSTERS[spec["cluster"]]
        lon = _coordinate(cx, run, spec["jitter"][0], _unique(n_obs))
        lat = _coordinate(cy, run, spec["jitter"][1], _unique(n_obs))
        n_obs += 1
        observed = now - timedelta(hours=spec["hours_ago"], minutes=k)
        body = {
            "title": f"TTL{tag} (synthetic)",
            "body": f"BDY{tag} generated for the leak test",
            "releasable_to": releasable,
            "observations": [
                {
                    "category": spec["category"],
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "observed_at": observed.isoformat().replace("+00:00", "Z"),
                    "subject": f"Group {spec['cluster']} of run {run}",
                    "note": f"NTE{tag}",
                }
            ],
        }
        stored = _ok(client.post("/api/v1/reports", headers=origin.analyst.headers, json=body), 201)
        items.append(
            Item(
                stored["id"],
                audience,
                [f"TTL{tag}", f"BDY{tag}", f"NTE{tag}"],
                [(lon, lat)],
                [o["id"] for o in stored["observations"]],
                origin.code,
                spec["category"],
            )
        )
        sent.append((body, origin))

    # A correction (same release, new text and place) and a retraction with a marked reason.
    fixed = items[correct % len(items)]
    spec = specs[correct % len(specs)]
    first, author = sent[correct % len(sent)]
    tag = f"{run}k{correct}x"
    lon = _coordinate(CLUSTERS[spec["cluster"]][0], run, spec["jitter"][0] + 1, _unique(n_obs))
    lat = _coordinate(CLUSTERS[spec["cluster"]][1], run, spec["jitter"][1] + 1, _unique(n_obs))
    n_obs += 1
    corrected = {
        **first,
        "title": f"TTL{tag} corrected",
        "body": f"BDY{tag} corrected",
        "observations": [
            {
                **first["observations"][0],
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "note": f"NTE{tag}",
            }
        ],
    }
    stored = _ok(
        client.post(f"/api/v1/reports/{fixed.id}:correct", headers=author.analyst.headers, json=corrected),
        201,
    )
    items.append(
        Item(
            stored["id"],
            set(fixed.audience),
            [f"TTL{tag}", f"BDY{tag}", f"NTE{tag}"],
            [(lon, lat)],
            [o["id"] for o in stored["observations"]],
            fixed.originator,
            fixed.category,
        )
    )
    gone = items[retract % len(specs)]
    if gone is not fixed:
        reason = f"RSN{run}x"
        _ok(
            client.post(
                f"/api/v1/reports/{gone.id}:retract",
                headers=sent[retract % len(sent)][1].analyst.headers,
                json={"reason": reason},
            )
        )
        gone.markers.append(reason)
    _settle(centre)

    # Comments: on a report the commenter may see (a refused one is checked to be a 404), or on
    # the fused site holding that report's observation, as the commenter sees the site.
    said: list[Said] = []
    obs_report = {o: it for it in items for o in it.observations}
    for j, (who_i, which, on_site) in enumerate(comments):
        who = members[who_i % n_members]
        item = items[which % len(items)]
        text = f"CMT{run}c{j}x"
        if who.code not in item.audience:
            r = client.post(
                f"/api/v1/reports/{item.id}/comments", headers=who.analyst.headers, json={"text": text}
            )
            assert r.status_code == 404, r.text
            continue
        if on_site:
            kind, prefix = ("tracks", "T") if item.category == "movement" else ("sites", "S")
            seen = client.get(f"/api/v1/{kind}/{prefix}{item.observations[0]}", headers=who.analyst.headers)
            if seen.status_code == 200:
                fused_id = seen.json()["id"]
                _ok(
                    client.post(
                        f"/api/v1/{kind}/{fused_id}/comments",
                        headers=who.analyst.headers,
                        json={"text": text},
                    ),
                    201,
                )
                # Anchored at the commenter's id of the item: readers may see that observation.
                anchor = obs_report[int(fused_id[1:])]
                said.append(Said(text, set(anchor.audience), anchor=int(fused_id[1:])))
                continue
        _ok(
            client.post(
                f"/api/v1/reports/{item.id}/comments", headers=who.analyst.headers, json={"text": text}
            ),
            201,
        )
        said.append(Said(text, set(item.audience), report=item.id))

    # A centre product, published by the chair to some of this example's members.
    to = sorted({codes[i % n_members] for i in recipients}) or [chair_code]
    product = _ok(
        client.post(
            "/api/v1/products",
            headers=chair_admin.headers,
            json={
                "since": (now - timedelta(days=2)).isoformat().replace("+00:00", "Z"),
                "until": (now + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
                "releasable_to": to,
            },
        ),
        201,
    )
    product_audience = {*to, chair_code}
    _settle(centre)

    deliveries: dict[str, str] = {}
    for m in members:
        for d in _ok(client.get("/api/v1/inbox", headers=m.analyst.headers, params={"limit": 1000}))["items"]:
            deliveries[d["delivery_id"]] = m.code

    suspended = set()
    if suspend is not None and suspend < n_members:
        suspended.add(codes[suspend])
        with centre.db.write() as conn:
            set_member_status(conn, centre.db.dialect, codes[suspend], MemberStatus.SUSPENDED, actor="test")

    all_obs = [o for it in items for o in it.observations]
    ids = leak_walk.Ids(
        reports=[it.id for it in items],
        sites=[f"S{o}" for o in all_obs],
        tracks=[f"T{o}" for o in all_obs],
        deliveries=sorted(deliveries),
        products=[product["id"]],
        members=[*codes, chair_code],
        circles=[circle],
        taxii_members=[*codes, chair_code],
        extra_queries={"/api/v1/reports": [{"q": m} for it in items for m in it.markers[:1]]},
    )
    spec_json = client.get("/api/v1/openapi.json").json()
    viewers = [(m, m.admin) for m in members] + [(None, chair_admin)]
    for member, account in viewers:
        code = account.member
        visible = set() if code in suspended else {it.id for it in items if code in it.audience}
        hidden_items = [it for it in items if it.id not in visible]
        forbidden = [
            m for it in hidden_items for m in (it.id, stix.stix_id("report", f"report:{it.id}"), *it.markers)
        ]
        forbidden += [c.text for c in said if code not in c.readers or code in suspended]
        # Not checked here, by the dissemination owner's choice (docs/dissemination.md, "The
        # chair's board"): the chair's GET /api/v1/deliveries lists every member's deliveries,
        # those of items its member may not read with report_id null, so their number,
        # recipients, precedence and times are visible to it. Ids and content are checked.
        if code in suspended or code not in product_audience:
            forbidden.append(product["id"])
        coords = [c for it in hidden_items for c in it.coords]
        hidden_obs = [o for it in hidden_items for o in it.observations]
        hidden = {
            *(it.id for it in hidden_items),
            *(stix.stix_id("report", f"report:{it.id}") for it in hidden_items),
            *(f"S{o}" for o in hidden_obs),
            *(f"T{o}" for o in hidden_obs),
            *(d for d, owner in deliveries.items() if owner != code),
            *(
                collection_id(c, kind)
                for c in everyone - {code}
                for kind in ("released", "submissions", "fused")
            ),
        }
        if code != chair_code:
            hidden |= everyone - {code}  # members' quality records: the member itself and the chair
        if code not in product_audience:
            hidden.add(product["id"])

        # Items by id: a few the member may see and a few it may not, drawn per example (the
        # lists, feeds, exports and reports show every item on each walk).
        def some(pool: list[str], seen: set[str]) -> list[str]:
            mine_ = [p for p in pool if p in seen]
            others = [p for p in pool if p not in seen]
            return rnd.sample(mine_, min(2, len(mine_))) + rnd.sample(others, min(2, len(others)))

        seen_obs = {o for it in items if it.id in visible for o in it.observations}
        own_deliveries = {d for d, owner in deliveries.items() if owner == code}
        mine = replace(
            ids,
            viewer=code,
            reports=some(ids.reports, visible),
            sites=some(ids.sites, {f"S{o}" for o in seen_obs}),
            tracks=some(ids.tracks, {f"T{o}" for o in seen_obs}),
            deliveries=some(ids.deliveries, own_deliveries),
            members=some(ids.members, {code}),
            taxii_members=[code, rnd.choice(sorted(everyone - {code}))],
            # The live stream replays everything after the member's first delivery.
            extra_headers={"/api/v1/stream": {"Last-Event-ID": min(own_deliveries)}}
            if own_deliveries
            else {},
        )
        answers = list(leak_walk.walk_api(_getter(client), account.headers, spec_json, mine))
        answers += list(leak_walk.walk_taxii(_getter(client), account.token, mine))
        with _web(centre) as web:
            if code not in suspended:
                sign_in(web, member.person if member else chair_person)
            answers += list(leak_walk.walk_web(_getter(web), mine))
        if code in suspended:  # a suspended member reads nothing at all
            hidden = {a.probe for a in answers if a.probe is not None} - {code}
        _check(answers, forbidden, coords, hidden, code)
        if code in suspended:
            continue
        # The walk reads real answers, not refusals: what the member may see is there.
        by_url = {a.url: a for a in answers}
        export = by_url["/api/v1/export?format=csv"].body
        assert all(f"TTL{it.markers[0][3:]}".encode() in export for it in items if it.id in visible), code
        # A centre product is stored as a report released to exactly its recipients.
        listable = visible | ({product["id"]} if code in product_audience else set())
        if code == chair_code:
            history = _chair_sees.setdefault(centre.settings.database_url, {})
            history.update({o: it.originator for it in items if it.id in visible for o in it.observations})
        else:
            history = {o: it.originator for it in items if it.id in visible for o in it.observations}
        _check_counts(client, account, listable, items, said, product["id"], history, code == chair_code)


def _getter(c: ASGIClient) -> leak_walk.Requester:
    def get(url: str, params: dict[str, str], headers: dict[str, str]) -> httpx.Response:
        return c.get(url, params=params, headers=headers)

    return get


def _pattern(value: float) -> re.Pattern[bytes]:
    return re.compile(rb"(?<![\d.])" + re.escape(repr(value).encode()) + rb"(?!\d)")


def _check(
    answers: list[leak_walk.Answer],
    forbidden: list[str],
    coords: list[tuple[float, float]],
    hidden: set[str],
    code: str,
) -> None:
    needles = [s.encode() for s in forbidden]
    patterns = [_pattern(v) for c in coords for v in c]
    for a in answers:
        assert a.status < 500, (a.url, a.status, a.body[:300])
        body = a.normalised  # the id the member asked about may be echoed in the 404
        for n in needles:
            assert n not in body, f"{code}: {a.url} shows {n!r} it may not see"
        for p in patterns:
            assert not p.search(body), f"{code}: {a.url} shows coordinate {p.pattern!r} it may not see"
    # By id: whatever the member may not see answers exactly like what does not exist.
    reference = {a.shape: a for a in answers if a.probe in leak_walk.NONEXISTENT}
    for a in answers:
        if a.probe not in hidden:
            continue
        ref = reference[a.shape]
        assert (a.status, a.normalised) == (ref.status, ref.normalised), (
            code,
            a.url,
            a.body,
            ref.url,
            ref.body,
        )


def _check_counts(
    client: ASGIClient,
    account: Account,
    visible: set[str],
    items: list[Item],
    said: list[Said],
    product: str,
    sees: dict[int, str],
    shared: bool,
) -> None:
    h = account.headers
    ours = {it.id for it in items} | {product}
    listed = {i["id"] for i in _ok(client.get("/api/v1/reports", headers=h, params={"limit": 1000}))["items"]}
    assert (listed & ours if shared else listed) == visible
    # Fused items: made of observations the member may see only, counted as it sees them.
    for kind in ("sites", "tracks"):
        for s in _ok(client.get(f"/api/v1/{kind}", headers=h, params={"limit": 1000}))["items"]:
            detail = _ok(client.get(f"/api/v1/{kind}/{s['id']}", headers=h))
            contributing = {c["observation_id"] for c in detail["contributions"]}
            assert contributing <= set(sees), (kind, s["id"], contributing - set(sees))
            assert s["observations"] == len(contributing), (kind, s)
            assert s["sources"] == len({sees[o] for o in contributing}), (kind, s)
            assert s["originators"] == sorted({sees[o] for o in contributing}), (kind, s)
            # Comments on a fused item: those anchored at observations the member sees in it
            # (the chair also keeps earlier examples' comments, not counted here).
            thread = _ok(client.get(f"/api/v1/{kind}/{s['id']}/comments", headers=h, params={"limit": 1000}))
            want = sum(1 for c in said if c.anchor in contributing)
            assert thread["count"] >= want if shared else thread["count"] == want, (kind, s["id"], thread)
    for it in items:
        if it.id not in visible:
            continue
        page = _ok(client.get(f"/api/v1/reports/{it.id}/comments", headers=h, params={"limit": 1000}))
        assert page["count"] == sum(1 for c in said if c.report == it.id), (it.id, page)


def test_the_walker_reads_every_get_route(centre: Centre) -> None:
    """Every route that answers GET is walked above or excluded with a reason: none slips past."""
    app = create_app(centre.settings, centre)
    spec = app.openapi()
    served = leak_walk.get_routes(app)
    walked = leak_walk.covered(spec)
    missing = served - walked - set(leak_walk.EXCLUDED)
    assert not missing, f"GET routes no walker reads (walk them in tests/leak_walk.py): {sorted(missing)}"
    # And the lists stay honest: nothing walked or excluded that the app no longer serves.
    assert walked | set(leak_walk.EXCLUDED) <= served, sorted((walked | set(leak_walk.EXCLUDED)) - served)
