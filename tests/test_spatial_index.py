"""The spatial index stays complete on every path that writes observations, on both engines."""

from __future__ import annotations

import random

from sqlalchemy import select

from markaz.centre import Centre
from markaz.processing.suggest import run_extraction_jobs
from markaz.storage.schema import observations
from tests.asgi_client import ASGIClient
from tests.conftest import Account


def _report(rng: random.Random, i: int) -> dict[str, object]:
    lon, lat = round(rng.uniform(36, 46), 5), round(rng.uniform(32, 37), 5)
    obs: list[dict[str, object]] = [
        {"category": "position", "geometry": {"type": "Point", "coordinates": [lon, lat]}}
    ]
    if i % 3 == 0:
        end = [round(lon + 0.2, 5), round(lat + 0.1, 5)]
        obs.append(
            {"category": "movement", "geometry": {"type": "LineString", "coordinates": [[lon, lat], end]}}
        )
    return {"title": f"[SYNTHETIC] index {i}", "body": "", "releasable_to": ["ALL"], "observations": obs}


def _found_by_own_bbox(client: ASGIClient, account: Account, o: dict[str, object]) -> bool:
    bbox = f"{o['min_lon']},{o['min_lat']},{o['max_lon']},{o['max_lat']}"
    r = client.get(
        "/api/v1/observations.geojson", params={"bbox": bbox, "limit": 1000}, headers=account.headers
    )
    assert r.status_code == 200, r.text
    return any(f["id"] == o["id"] for f in r.json()["features"])


def test_every_observation_is_found_by_a_bbox_around_it(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account]
) -> None:
    iq = accounts["IQ"]
    rng = random.Random(11)
    # A batch, two single reports, a correction and a confirmed suggestion: every writing path.
    batch = client.post(
        "/api/v1/reports:batch", headers=iq.headers, json=[_report(rng, i) for i in range(40)]
    )
    assert batch.status_code == 200 and batch.json()["created"] == 40, batch.text
    first = client.post("/api/v1/reports", headers=iq.headers, json=_report(rng, 100))
    assert first.status_code == 201
    fixed = client.post(
        f"/api/v1/reports/{first.json()['id']}:correct", headers=iq.headers, json=_report(rng, 101)
    )
    assert fixed.status_code in (200, 201), fixed.text
    text = client.post(
        "/api/v1/reports",
        headers=iq.headers,
        json={"title": "free text", "body": "Gathering at 36.3412 N 43.1297 E", "releasable_to": ["ALL"]},
    )
    assert text.status_code == 201
    assert run_extraction_jobs(centre) == 1
    suggestions = client.get(f"/api/v1/reports/{text.json()['id']}/suggestions", headers=iq.headers).json()
    confirmed = client.post(f"/api/v1/suggestions/{suggestions[0]['id']}:confirm", headers=iq.headers)
    assert confirmed.status_code == 200, confirmed.text

    with centre.db.read() as conn:
        stored = [dict(r) for r in conn.execute(select(observations)).mappings()]
    # 40 in the batch (every third with a route too), the single report, its correction, the confirmed one.
    assert len(stored) == 40 + sum(1 for i in range(40) if i % 3 == 0) + 1 + 1 + 1
    missing = [o["id"] for o in stored if not _found_by_own_bbox(client, iq, o)]
    assert missing == []
    if centre.db.is_sqlite:
        with centre.db.read() as conn:
            indexed = set(conn.exec_driver_sql("SELECT id FROM observation_rtree").scalars())
        assert indexed == {o["id"] for o in stored}
