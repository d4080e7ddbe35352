"""Generated cases: TAXII object lists, object by id and every export show exactly what is released."""

from __future__ import annotations

import csv
import io
import itertools
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from markaz.centre import Centre
from markaz.dissemination import stix
from tests.asgi_client import ASGIClient
from tests.conftest import Account, add_account
from tests.interop.helpers import bearer, objects_url

_counter = itertools.count(1)

report_spec = st.tuples(
    st.integers(min_value=0, max_value=3),  # originator index
    st.one_of(st.just(None), st.sets(st.integers(min_value=0, max_value=3), max_size=3)),  # None = ALL
    st.booleans(),  # retracted afterwards
)


def _taxii_ids(client: ASGIClient, account: Account, kind: str, limit: int) -> set[str]:
    """markaz ids of the report objects in a collection, read page by page."""
    found: set[str] = set()
    params: dict[str, str] = {"limit": str(limit)}
    while True:
        r = client.get(objects_url(account.member, kind), headers=bearer(account.token), params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        for o in body.get("objects", []):
            if o["type"] == "report":
                found.add(o["extensions"][stix.EXTENSION_ID]["markaz_id"])
        if not body["more"]:
            return found
        params = {"limit": str(limit), "next": body["next"]}


def _export_ids(client: ASGIClient, account: Account, fmt: str) -> set[str]:
    r = client.get("/api/v1/export", headers=account.headers, params={"format": fmt})
    assert r.status_code == 200, r.text
    if fmt == "stix":
        return {
            o["extensions"][stix.EXTENSION_ID]["markaz_id"]
            for o in orjson.loads(r.content)["objects"]
            if o["type"] == "report"
        }
    if fmt == "geojson":
        return {f["properties"]["report"] for f in orjson.loads(r.content)["features"]}
    if fmt == "csv":
        return {row["report"] for row in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))}
    text = r.content.decode()
    return {part.split("<")[0] for part in text.split('<Data name="report"><value>')[1:]}


@settings(max_examples=12)
@given(
    n_members=st.integers(min_value=2, max_value=4),
    specs=st.lists(report_spec, min_size=1, max_size=6),
    limit=st.integers(min_value=5, max_value=15),
)
def test_taxii_and_exports_show_exactly_what_is_released(
    centre: Centre, client: ASGIClient, n_members: int, specs: list[Any], limit: int
) -> None:
    run = next(_counter)
    accounts = [add_account(centre, f"X{run:04d}{i}") for i in range(n_members)]
    codes = [a.member for a in accounts]
    expected: dict[str, set[str]] = {c: set() for c in codes}
    own: dict[str, set[str]] = {c: set() for c in codes}
    every: set[str] = set()
    for origin_i, release, retract in specs:
        origin = accounts[origin_i % n_members]
        releasable = (
            ["ALL"] if release is None else sorted({codes[i % n_members] for i in release} | {origin.member})
        )
        audience = set(codes) if release is None else set(releasable)
        r = client.post(
            "/api/v1/reports",
            headers=origin.headers,
            json={
                "title": f"run {run}",
                "releasable_to": releasable,
                "observations": [
                    {"category": "position", "geometry": {"type": "Point", "coordinates": [40.0, 35.0]}}
                ],
            },
        )
        assert r.status_code == 201, r.text
        rid = r.json()["id"]
        if retract:
            assert (
                client.post(
                    f"/api/v1/reports/{rid}:retract", headers=origin.headers, json={"reason": "x"}
                ).status_code
                == 200
            )
        every.add(rid)
        own[origin.member].add(rid)
        for code in audience:
            expected[code].add(rid)
    for account in accounts:
        assert _taxii_ids(client, account, "released", limit) == expected[account.member]
        assert _taxii_ids(client, account, "submissions", limit) == own[account.member]
        for fmt in ("stix", "geojson", "csv", "kml"):
            assert _export_ids(client, account, fmt) == expected[account.member], fmt
        # By id: a report not released to this member answers 404, like one that does not exist.
        for rid in every - expected[account.member]:
            sid = stix.stix_id("report", f"report:{rid}")
            url = objects_url(account.member, "released") + sid + "/"
            assert client.get(url, headers=bearer(account.token)).status_code == 404
            assert client.get(url + "versions/", headers=bearer(account.token)).status_code == 404
