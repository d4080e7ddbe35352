"""The site and track routes are one set of handlers: each kind answers alike, with its own words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from markaz.analysis.fusion import fuse_all
from markaz.app import create_app
from markaz.centre import Centre
from markaz.settings import Settings
from tests.analysis.fusion_helpers import point, submit
from tests.asgi_client import ASGIClient
from tests.conftest import Account

NOW = datetime.now(UTC)


def _observation(kind: str, dx: float) -> dict[str, Any]:
    if kind == "site":
        return {
            "category": "weapons_depot",
            "geometry": point(44.36 + dx, 33.31),
            "observed_at": NOW.isoformat(),
        }
    return {
        "category": "movement",
        "geometry": point(43.10 + dx, 36.30),
        "observed_at": (NOW - timedelta(hours=10 - dx * 100)).isoformat(),
        "subject": "Group A (synthetic)",
    }


def test_operation_ids_and_paths_stay_as_they_were(tmp_path: Path) -> None:
    spec = create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.db")).openapi()
    found = {
        (method.upper(), path): op["operationId"]
        for path, ops in spec["paths"].items()
        if path.startswith(("/api/v1/sites", "/api/v1/tracks")) and "comments" not in path
        for method, op in ops.items()
    }
    expected = {}
    for word in ("site", "track"):
        base = f"/api/v1/{word}s"
        expected |= {
            ("GET", base): f"list_{word}s_api_v1_{word}s_get",
            ("GET", f"{base}.geojson"): f"{word}s_geojson_api_v1_{word}s_geojson_get",
            ("POST", f"{base}:merge"): f"merge_{word}s_api_v1_{word}s_merge_post",
            ("GET", f"{base}/{{{word}_id}}"): f"get_{word}_api_v1_{word}s__{word}_id__get",
            ("POST", f"{base}/{{{word}_id}}:split"): f"split_{word}_api_v1_{word}s__{word}_id__split_post",
        }
    assert found == expected
    get = spec["paths"]["/api/v1/tracks/{track_id}"]["get"]
    assert [p["name"] for p in get["parameters"] if p["in"] == "path"] == ["track_id"]


@pytest.mark.parametrize("kind", ["site", "track"])
def test_each_kind_lists_gets_and_refuses_the_other_kinds_ids(
    kind: str, centre: Centre, accounts: dict[str, Account], client: ASGIClient
) -> None:
    other = "track" if kind == "site" else "site"
    prefix, other_prefix = kind[0].upper(), other[0].upper()
    first = submit(centre, accounts["IQ"], [_observation(kind, 0.0)])[1][0].id
    submit(centre, accounts["RU"], [_observation(kind, 0.002)])
    fuse_all(centre)
    h = accounts["IQ"].headers
    listed = client.get(f"/api/v1/{kind}s", headers=h)
    assert listed.status_code == 200, listed.text
    assert [i["id"] for i in listed.json()["items"]] == [f"{prefix}{first}"]
    assert client.get(f"/api/v1/{other}s", headers=h).json()["items"] == []
    fc = client.get(f"/api/v1/{kind}s.geojson", headers=h)
    assert fc.headers["content-type"].startswith("application/geo+json")
    assert [f["id"] for f in fc.json()["features"]] == [f"{prefix}{first}"]
    one = client.get(f"/api/v1/{kind}s/{prefix}{first}", headers=h)
    assert one.status_code == 200 and one.json()["observations"] == 2
    assert client.get(f"/api/v1/{other}s/{other_prefix}{first}", headers=h).status_code == 404

    r = client.post(
        f"/api/v1/{kind}s/{other_prefix}{first}:split", headers=h, json={"observations": [1], "reason": "x"}
    )
    assert r.status_code == 404
    assert r.json()["error"]["message"] == f"there is no {kind} {other_prefix}{first}"
    r = client.post(
        f"/api/v1/{kind}s:merge", headers=h, json={"items": [f"{other_prefix}1", f"{prefix}2"], "reason": "x"}
    )
    assert r.status_code == 422
    assert r.json()["error"] == {
        "code": "invalid",
        "message": f"name {kind}s ({prefix}...) here; {other}s are merged at /api/v1/{other}s:merge",
        "field": "items",
    }
