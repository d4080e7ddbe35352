"""The reports API, in process, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from markaz.centre import Centre
from markaz.storage.schema import audit_head, observations, reports
from tests.asgi_client import ASGIClient
from tests.conftest import Account

POINT = {"category": "gathering", "geometry": {"type": "Point", "coordinates": [43.119, 36.335]}}


def report(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "تجمع قرب الموصل",
        "body": "إحداثيات مكان التجمع",
        "language": "ar",
        "precedence": "PRIORITY",
        "source_reliability": "B",
        "information_credibility": "2",
        "tlp": "AMBER",
        "releasable_to": ["ALL"],
        "observations": [POINT],
    }
    body.update(overrides)
    return body


def state(centre: Centre) -> tuple[int, int, int]:
    with centre.db.read() as conn:
        return (
            conn.execute(select(func.count()).select_from(reports)).scalar_one(),
            conn.execute(select(func.count()).select_from(observations)).scalar_one(),
            conn.execute(select(audit_head.c.seq)).scalar_one(),
        )


def test_submit_get_and_location(client: ASGIClient, accounts: dict[str, Account]) -> None:
    iq = accounts["IQ"]
    r = client.post("/api/v1/reports", headers=iq.headers, json=report(client_ref="a-1"))
    assert r.status_code == 201, r.text
    stored = r.json()
    assert r.headers["location"] == f"/api/v1/reports/{stored['id']}"
    assert stored["originator"] == "IQ"
    assert stored["recipients"] == ["IQ", "IR", "RU", "SY"]
    assert stored["observations"][0]["geometry"] == POINT["geometry"]
    again = client.get(r.headers["location"], headers=accounts["SY"].headers)
    assert again.status_code == 200
    seen_by_sy = again.json()
    assert seen_by_sy["title"] == "تجمع قرب الموصل"
    # Originator-only fields are hidden from recipients.
    assert seen_by_sy["client_ref"] is None and seen_by_sy["recipients"] is None


def test_same_client_ref_returns_original(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account]
) -> None:
    iq = accounts["IQ"]
    first = client.post("/api/v1/reports", headers=iq.headers, json=report(client_ref="dup"))
    before = state(centre)
    second = client.post("/api/v1/reports", headers=iq.headers, json=report(client_ref="dup", title="other"))
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert state(centre) == before
    # Another member may use the same key for its own report.
    other = client.post("/api/v1/reports", headers=accounts["SY"].headers, json=report(client_ref="dup"))
    assert other.status_code == 201


def test_not_released_is_404_like_missing(client: ASGIClient, accounts: dict[str, Account]) -> None:
    r = client.post("/api/v1/reports", headers=accounts["IQ"].headers, json=report(releasable_to=["SY"]))
    rid = r.json()["id"]
    hidden = client.get(f"/api/v1/reports/{rid}", headers=accounts["RU"].headers)
    missing = client.get("/api/v1/reports/01ZZZZZZZZZZZZZZZZZZZZZZZZ", headers=accounts["RU"].headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
    assert client.get(f"/api/v1/reports/{rid}", headers=accounts["SY"].headers).status_code == 200


def test_list_filters(client: ASGIClient, accounts: dict[str, Account]) -> None:
    h = accounts["IQ"].headers
    raqqa = {"category": "weapons_depot", "geometry": {"type": "Point", "coordinates": [39.009, 35.953]}}
    route = {
        "category": "smuggling_route",
        "geometry": {"type": "LineString", "coordinates": [[40.14, 35.33], [41.09, 34.37]]},
    }
    ids = {}
    ids["mosul"] = client.post("/api/v1/reports", headers=h, json=report(precedence="FLASH")).json()["id"]
    ids["raqqa"] = client.post(
        "/api/v1/reports",
        headers=h,
        json=report(title="مستودع أسلحة في الرقة", body="مستودعات الأسلحة", observations=[raqqa]),
    ).json()["id"]
    ids["route"] = client.post(
        "/api/v1/reports",
        headers=accounts["SY"].headers,
        json=report(title="Oil smuggling route", body="trucks", language="en", observations=[route]),
    ).json()["id"]

    def listed(**params: Any) -> list[str]:
        r = client.get("/api/v1/reports", headers=h, params=params)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert set(listed()) == set(ids.values())
    assert listed(bbox="38.5,35.5,39.5,36.5") == [ids["raqqa"]]
    assert listed(bbox="40.5,34.0,40.7,35.0") == [ids["route"]]  # the route's bounding box
    assert listed(category="weapons_depot") == [ids["raqqa"]]
    assert listed(precedence="FLASH") == [ids["mosul"]]
    assert listed(originator="SY") == [ids["route"]]
    # Letter variants and diacritics match: أسلحة / اسلحة, الرقة / الرقه.
    assert listed(q="اسلحه") == [ids["raqqa"]]
    assert listed(q="الرقه") == [ids["raqqa"]]
    assert listed(q="smuggling") == [ids["route"]]
    assert listed(q='"OR* NEAR(') == []
    page1 = client.get("/api/v1/reports", headers=h, params={"limit": 2}).json()
    assert len(page1["items"]) == 2 and page1["next_cursor"]
    page2 = client.get(
        "/api/v1/reports", headers=h, params={"limit": 2, "cursor": page1["next_cursor"]}
    ).json()
    assert len(page2["items"]) == 1 and page2["next_cursor"] is None
    assert {i["id"] for i in page1["items"] + page2["items"]} == set(ids.values())
    bad = client.get("/api/v1/reports", headers=h, params={"cursor": "forged"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "cursor"


def test_geojson(client: ASGIClient, accounts: dict[str, Account]) -> None:
    h = accounts["IQ"].headers
    client.post("/api/v1/reports", headers=h, json=report())
    r = client.get("/api/v1/observations.geojson", headers=h, params={"bbox": "43,36,44,37"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    assert fc["features"][0]["geometry"] == POINT["geometry"]
    assert fc["features"][0]["properties"]["category"] == "gathering"
    empty = client.get("/api/v1/observations.geojson", headers=h, params={"bbox": "0,0,1,1"}).json()
    assert empty["features"] == []


def test_retract_and_correct(client: ASGIClient, accounts: dict[str, Account]) -> None:
    iq, sy, ru = accounts["IQ"], accounts["SY"], accounts["RU"]
    rid = client.post("/api/v1/reports", headers=iq.headers, json=report(releasable_to=["SY"])).json()["id"]
    # Not the originator: 403 if it can see the report, 404 if it cannot.
    assert (
        client.post(f"/api/v1/reports/{rid}:retract", headers=sy.headers, json={"reason": "x"}).status_code
        == 403
    )
    assert (
        client.post(f"/api/v1/reports/{rid}:retract", headers=ru.headers, json={"reason": "x"}).status_code
        == 404
    )
    corrected = client.post(
        f"/api/v1/reports/{rid}:correct",
        headers=iq.headers,
        json=report(title="corrected", releasable_to=["RU"]),
    )
    assert corrected.status_code == 201, corrected.text
    new = corrected.json()
    assert new["supersedes"] == rid
    assert new["recipients"] == ["IQ", "RU", "SY"]  # everyone who had the original, plus RU
    old = client.get(f"/api/v1/reports/{rid}", headers=sy.headers).json()
    assert old["status"] == "superseded" and old["superseded_by"] == new["id"]
    # RU may read the correction but must not learn the id of the original it cannot see.
    assert client.get(f"/api/v1/reports/{new['id']}", headers=ru.headers).json()["supersedes"] is None
    again = client.post(f"/api/v1/reports/{rid}:correct", headers=iq.headers, json=report())
    assert again.status_code == 409
    retracted = client.post(
        f"/api/v1/reports/{new['id']}:retract", headers=iq.headers, json={"reason": "false"}
    )
    assert retracted.status_code == 200 and retracted.json()["status"] == "retracted"
    assert (
        client.post(
            f"/api/v1/reports/{new['id']}:retract", headers=iq.headers, json={"reason": "again"}
        ).status_code
        == 409
    )


def test_batch_reports_bad_items_and_stores_good(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account]
) -> None:
    items = [report(client_ref="b1"), report(title=""), report(client_ref="b1"), report(releasable_to=["XX"])]
    r = client.post("/api/v1/reports:batch", headers=accounts["IQ"].headers, json=items)
    assert r.status_code == 200
    out = r.json()
    assert (out["created"], out["existing"], out["failed"]) == (1, 1, 2)
    statuses = [i["status"] for i in out["results"]]
    assert statuses == ["created", "error", "existing", "error"]
    assert out["results"][2]["id"] == out["results"][0]["id"]
    assert out["results"][3]["error"]["field"] == "releasable_to"
    assert state(centre)[0] == 1


def _bomb(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


BAD_INPUTS: list[tuple[str, dict[str, Any] | None, bytes | None, dict[str, str], int, str | None]] = [
    (
        "latitude 200",
        report(
            observations=[{"category": "gathering", "geometry": {"type": "Point", "coordinates": [43, 200]}}]
        ),
        None,
        {},
        422,
        "observations.0.geometry.coordinates",
    ),
    (
        "one-point LineString",
        report(
            observations=[
                {"category": "movement", "geometry": {"type": "LineString", "coordinates": [[43, 36]]}}
            ]
        ),
        None,
        {},
        422,
        "observations.0.geometry.coordinates",
    ),
    (
        "open polygon",
        report(
            observations=[
                {
                    "category": "gathering",
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [[[43, 36], [44, 36], [44, 37], [43, 37]]],
                    },
                }
            ]
        ),
        None,
        {},
        422,
        "observations.0.geometry.coordinates",
    ),
    (
        "unknown category",
        report(
            observations=[{"category": "spaceport", "geometry": {"type": "Point", "coordinates": [43, 36]}}]
        ),
        None,
        {},
        422,
        "observations.0.category",
    ),
    ("title of 10000 characters", report(title="x" * 10_000), None, {}, 422, "title"),
    ("unknown field", report(colour="red"), None, {}, 422, "colour"),
    ("bad precedence", report(precedence="URGENT"), None, {}, 422, "precedence"),
    ("bad grading", report(source_reliability="G"), None, {}, 422, "source_reliability"),
    ("bad member code", report(releasable_to=["iraq"]), None, {}, 422, "releasable_to"),
    ("ALL with codes", report(releasable_to=["ALL", "SY"]), None, {}, 422, "releasable_to"),
    ("unknown member", report(releasable_to=["ZZ"]), None, {}, 422, "releasable_to"),
    ("right-to-left override in title", report(title="abc\u202edcba"), None, {}, 422, "title"),
    ("control character in title", report(title="a\x07b"), None, {}, 422, "title"),
    ("bad language tag", report(language="arabic!"), None, {}, 422, "language"),
    ("naive time", report(observed_at="2015-09-12T10:00:00"), None, {}, 422, "observed_at"),
    ("invalid UTF-8", None, b'{"title": "\xff\xfe"}', {}, 400, None),
    ("nesting bomb", None, _bomb(100_000), {}, 400, None),
    ("not JSON", None, b"title=x", {}, 400, None),
    ("a list to the single endpoint", None, b"[]", {}, 400, None),
    ("wrong media type", None, b"{}", {"content-type": "text/plain"}, 415, None),
    ("body over the limit", None, b" " * (5 * 1024 * 1024 + 1), {}, 413, None),
]


@pytest.mark.parametrize(
    ("name", "payload", "raw", "headers", "status", "field"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_is_refused_and_nothing_stored(
    client: ASGIClient,
    centre: Centre,
    accounts: dict[str, Account],
    name: str,
    payload: dict[str, Any] | None,
    raw: bytes | None,
    headers: dict[str, str],
    status: int,
    field: str | None,
) -> None:
    before = state(centre)
    all_headers = {**accounts["IQ"].headers, "content-type": "application/json", **headers}
    content = raw if raw is not None else __import__("orjson").dumps(payload)
    r = client.post("/api/v1/reports", headers=all_headers, content=content)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["message"] and error["code"]
    if field is not None:
        assert error["field"] == field
    assert state(centre) == before


def test_authentication_errors(client: ASGIClient, accounts: dict[str, Account]) -> None:
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer mkz_unknown"}):
        r = client.get("/api/v1/reports", headers=headers)
        assert r.status_code == 401
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert r.json()["error"]["code"] == "unauthenticated"


def test_members_me_and_openapi(client: ASGIClient, accounts: dict[str, Account]) -> None:
    me = client.get("/api/v1/me", headers=accounts["SY"].headers).json()
    assert me["member"]["code"] == "SY"
    codes = [m["code"] for m in client.get("/api/v1/members", headers=accounts["SY"].headers).json()]
    assert codes == ["IQ", "RU", "SY", "IR"]
    spec = client.get("/api/v1/openapi.json").json()
    assert "ReportCreate" in spec["components"]["schemas"]
    for path in (
        "/api/v1/reports",
        "/api/v1/reports:batch",
        "/api/v1/reports/{report_id}",
        "/api/v1/reports/{report_id}:retract",
        "/api/v1/reports/{report_id}:correct",
        "/api/v1/observations.geojson",
        "/api/v1/members",
        "/api/v1/me",
    ):
        assert path in spec["paths"], path
    assert client.get("/api/docs").status_code == 200
    assert client.get("/api/v1/nowhere").json()["error"]["code"] == "not_found"
