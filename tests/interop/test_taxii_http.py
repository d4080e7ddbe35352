"""TAXII 2.1 over raw HTTP (in process): what taxii2-client does not expose, on both databases."""

from __future__ import annotations

from markaz.centre import Centre
from markaz.dissemination import stix
from markaz.dissemination.taxii import TAXII_MEDIA, collection_id
from tests.asgi_client import ASGIClient
from tests.conftest import Account
from tests.interop.helpers import TAXII, basic, bearer, objects_url, report


def _submit(client: ASGIClient, account: Account, body: dict[str, object]) -> str:
    r = client.post("/api/v1/reports", headers=account.headers, json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_discovery_root_and_collections(client: ASGIClient, accounts: dict[str, Account]) -> None:
    iq = accounts["IQ"]
    r = client.get("/taxii2/", headers=bearer(iq.token))
    assert r.status_code == 200
    assert r.headers["content-type"] == TAXII_MEDIA
    assert r.json()["api_roots"] == ["/taxii2/markaz/"]
    root = client.get("/taxii2/markaz/", headers=basic(iq.principal.username, iq.token)).json()
    assert root["versions"] == [TAXII_MEDIA]
    assert root["max_content_length"] > 0
    listed = client.get("/taxii2/markaz/collections/", headers=bearer(iq.token)).json()["collections"]
    assert {c["title"] for c in listed} == {"Released to us", "Our submissions", "Fused picture", "Submit"}
    other = client.get("/taxii2/markaz/collections/", headers=bearer(accounts["RU"].token)).json()
    assert {c["id"] for c in listed}.isdisjoint({c["id"] for c in other["collections"]})
    # Another member's collection id is unknown to this member: 404.
    theirs = collection_id("RU", "released")
    r = client.get(f"/taxii2/markaz/collections/{theirs}/", headers=bearer(iq.token))
    assert r.status_code == 404
    assert r.json()["http_status"] == "404"


def test_auth_media_types_and_errors(client: ASGIClient, accounts: dict[str, Account]) -> None:
    iq = accounts["IQ"]
    r = client.get("/taxii2/", headers=TAXII)
    assert r.status_code == 401
    assert "Basic" in r.headers["www-authenticate"] and "Bearer" in r.headers["www-authenticate"]
    assert set(r.json()) >= {"title", "description", "http_status"}
    # Basic with the token of another user: refused.
    assert client.get("/taxii2/", headers=basic("someone.else", iq.token)).status_code == 401
    assert client.get("/taxii2/", headers=basic(iq.principal.username, "mkz_wrong")).status_code == 401
    # Accept: plain taxii+json is fine, 2.0 or JSON is not.
    plain = {"Authorization": f"Bearer {iq.token}", "Accept": "application/taxii+json"}
    assert client.get("/taxii2/", headers=plain).status_code == 200
    for accept in ("application/taxii+json;version=2.0", "application/json", "text/html"):
        r = client.get("/taxii2/", headers={**bearer(iq.token), "Accept": accept})
        assert r.status_code == 406, accept
        assert r.json()["http_status"] == "406"
    url = objects_url("IQ", "submit")
    r = client.post(url, headers={**bearer(iq.token), "Content-Type": "application/json"}, content=b"{}")
    assert r.status_code == 415
    r = client.post(url, headers={**bearer(iq.token), "Content-Type": TAXII_MEDIA}, content=b"{not json")
    assert r.status_code == 400
    big = b'{"objects": [' + b" " * (6 * 1024 * 1024) + b"]}"
    r = client.post(url, headers={**bearer(iq.token), "Content-Type": TAXII_MEDIA}, content=big)
    assert r.status_code == 413
    assert r.json()["http_status"] == "413"
    # Reading a write-only collection, writing a read-only one.
    assert client.get(url, headers=bearer(iq.token)).status_code == 403
    r = client.post(
        objects_url("IQ", "released"),
        headers={**bearer(iq.token), "Content-Type": TAXII_MEDIA},
        content=b"{}",
    )
    assert r.status_code == 403
    assert client.get("/taxii2/elsewhere/", headers=bearer(iq.token)).status_code == 404


def test_objects_paging_headers_and_filters(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account]
) -> None:
    iq, ru = accounts["IQ"], accounts["RU"]
    ids = [_submit(client, iq, report(f"report {i}")) for i in range(5)]
    secret = _submit(client, iq, report("only IQ", ["IQ"]))
    url = objects_url("RU", "released")
    seen: list[dict[str, object]] = []
    params: dict[str, str] = {"limit": "4"}
    while True:
        r = client.get(url, headers=bearer(ru.token), params=params)
        assert r.status_code == 200
        body = r.json()
        assert r.headers["x-taxii-date-added-first"] <= r.headers["x-taxii-date-added-last"]
        seen += body["objects"]
        assert len(body["objects"]) <= 4
        if not body["more"]:
            break
        # The same query with the same cursor gives the same page.
        again = client.get(url, headers=bearer(ru.token), params={**params, "next": body["next"]}).json()
        params = {"limit": "4", "next": body["next"]}
        assert again == client.get(url, headers=bearer(ru.token), params=params).json()
    names = {o["name"] for o in seen if o["type"] == "report"}
    assert names == {f"report {i}" for i in range(5)}
    assert len({(o["id"], o.get("modified")) for o in seen}) == len(seen)
    # match[type] OR within a field, AND across fields.
    r = client.get(url, headers=bearer(ru.token), params={"match[type]": "report,location"}).json()
    assert {o["type"] for o in r["objects"]} == {"report", "location"}
    one = next(o for o in seen if o["type"] == "report")
    r = client.get(url, headers=bearer(ru.token), params={"match[type]": "location", "match[id]": one["id"]})
    assert "objects" not in r.json()
    r = client.get(url, headers=bearer(ru.token), params={"match[spec_version]": "2.0"}).json()
    assert "objects" not in r
    # A cursor of another query is refused.
    first = client.get(url, headers=bearer(ru.token), params={"limit": "2"}).json()
    r = client.get(
        url, headers=bearer(ru.token), params={"limit": "2", "match[type]": "report", "next": first["next"]}
    )
    assert r.status_code == 422
    # RU cannot reach IQ's private report by id: 404 like a missing one.
    hidden = stix.stix_id("report", f"report:{secret}")
    r = client.get(f"{url}{hidden}/", headers=bearer(ru.token))
    assert r.status_code == 404
    own = client.get(f"{objects_url('IQ', 'released')}{hidden}/", headers=bearer(iq.token))
    assert own.status_code == 200
    assert ids


def test_status_is_kept_a_day_and_only_for_the_poster(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account]
) -> None:
    from datetime import UTC, datetime, timedelta

    from markaz.dissemination.taxii import STATUS_KEEP
    from markaz.storage import interop

    iq, ru = accounts["IQ"], accounts["RU"]
    envelope = {
        "objects": [
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": "indicator--6f7a8b90-acbd-4ecf-9d01-e2f3a4b5c6d7",
            }
        ]
    }
    r = client.post(
        objects_url("IQ", "submit"), headers={**bearer(iq.token), "Content-Type": TAXII_MEDIA}, json=envelope
    )
    assert r.status_code == 202
    status = r.json()
    assert (status["status"], status["total_count"], status["failure_count"]) == ("complete", 1, 1)
    url = f"/taxii2/markaz/status/{status['id']}/"
    assert client.get(url, headers=bearer(iq.token)).json() == status
    assert client.get(url, headers=bearer(ru.token)).status_code == 404
    now = datetime.now(UTC)
    with centre.db.write() as conn:
        interop.purge_status(conn, now + STATUS_KEEP - timedelta(minutes=1), STATUS_KEEP)
    assert client.get(url, headers=bearer(iq.token)).status_code == 200  # younger than a day: kept
    with centre.db.write() as conn:
        assert interop.purge_status(conn, now + STATUS_KEEP + timedelta(minutes=1), STATUS_KEEP) == 1
    assert client.get(url, headers=bearer(iq.token)).status_code == 404


def test_cursor_works_on_another_server_process(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account]
) -> None:
    from markaz.app import create_app
    from tests.asgi_client import asgi_client

    iq = accounts["IQ"]
    for i in range(3):
        _submit(client, iq, report(f"paged {i}"))
    url = objects_url("IQ", "released")
    first = client.get(url, headers=bearer(iq.token), params={"limit": "5"}).json()
    second = client.get(url, headers=bearer(iq.token), params={"limit": "5", "next": first["next"]}).json()
    # A second application with its own Centre (as another `markaz serve` process would have).
    other = Centre(centre.settings)
    try:
        with asgi_client(create_app(other.settings, other)) as elsewhere:
            again = elsewhere.get(url, headers=bearer(iq.token), params={"limit": "5", "next": first["next"]})
            assert again.json() == second
            forged = first["next"][:-2] + ("AA" if not first["next"].endswith("AA") else "BB")
            r = elsewhere.get(url, headers=bearer(iq.token), params={"limit": "5", "next": forged})
            assert r.status_code == 422 and r.json()["http_status"] == "422"
    finally:
        other.close()
