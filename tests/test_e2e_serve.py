"""`markaz serve` as a real process on a free port, spoken to over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.reliability._processes import markaz, serve


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    markaz("init", url=database_url)
    markaz("member", "add", "IQ", "--name", "Iraq", url=database_url)
    markaz("member", "add", "SY", "--name", "Syria", url=database_url)
    iq = markaz("token", "create", "--member", "IQ", url=database_url).stdout.strip()
    sy = markaz("token", "create", "--member", "SY", url=database_url).stdout.strip()
    # With the worker thread inside, as `markaz serve` runs by default.
    running = serve(database_url, tmp_path / "serve.log", worker=True, timeout=30)
    try:
        yield running.base, iq, sy
    finally:
        running.stop()


def test_served_process(served: tuple[str, str, str]) -> None:
    base, iq, sy = served
    h_iq = {"Authorization": f"Bearer {iq}"}
    h_sy = {"Authorization": f"Bearer {sy}"}
    report = {
        "title": "تجمع في دير الزور",
        "releasable_to": ["IQ"],
        "client_ref": "same-key",
        "observations": [
            {"category": "gathering", "geometry": {"type": "Point", "coordinates": [40.14, 35.33]}}
        ],
    }

    def post(_: int) -> tuple[int, str]:
        r = httpx.post(f"{base}/api/v1/reports", json=report, headers=h_iq, timeout=30)
        return r.status_code, r.json()["id"]

    # The same client_ref from 20 concurrent clients: one report, one 201, the rest 200.
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(post, range(20)))
    assert {rid for _, rid in results} == {results[0][1]}
    assert sorted(status for status, _ in results) == [200] * 19 + [201]
    listed = httpx.get(f"{base}/api/v1/reports", headers=h_iq, timeout=10).json()["items"]
    assert [r["id"] for r in listed] == [results[0][1]]
    assert httpx.get(f"{base}/api/v1/reports/{results[0][1]}", headers=h_sy, timeout=10).status_code == 404
    assert httpx.get(f"{base}/api/v1/reports", headers=h_sy, timeout=10).json()["items"] == []
    big = httpx.post(
        f"{base}/api/v1/reports",
        content=b"x" * (6 * 1024 * 1024),
        headers={**h_iq, "Content-Type": "application/json"},
        timeout=30,
    )
    assert big.status_code == 413
    assert httpx.get(f"{base}/api/v1/openapi.json", timeout=10).status_code == 200
