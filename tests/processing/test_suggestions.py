"""Suggested observations: queued with the report, extracted by the worker, confirmed or dismissed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from typer.testing import CliRunner

from markaz.centre import Centre
from markaz.cli import build_app
from markaz.processing.suggest import run_extraction_jobs
from markaz.storage import queue
from markaz.storage.audit import verify
from markaz.storage.schema import jobs
from tests.asgi_client import ASGIClient
from tests.conftest import Account

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
TEXT = "تجمع لعناصر مسلحة في الموصل عند الإحداثيات 36.3412 شمالاً 43.1297 شرقاً بتاريخ 12 أيلول 2015"


def _submit(client: ASGIClient, account: Account, body: str, **extra: object) -> str:
    r = client.post(
        "/api/v1/reports",
        headers=account.headers,
        json={"title": "نص حر", "body": body, "releasable_to": ["ALL"], **extra},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_free_text_gets_suggestions_to_confirm(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account]
) -> None:
    iq, sy = accounts["IQ"], accounts["SY"]
    rid = _submit(client, iq, TEXT)
    # Nothing is extracted inside the request: the job waits in the queue.
    assert client.get(f"/api/v1/reports/{rid}/suggestions", headers=iq.headers).json() == []
    assert run_extraction_jobs(centre) == 1
    assert run_extraction_jobs(centre) == 0
    found = client.get(f"/api/v1/reports/{rid}/suggestions", headers=iq.headers).json()
    coords = [s for s in found if s["evidence"]["kind"] == "coordinates"]
    places = [s for s in found if s["evidence"]["kind"] == "place"]
    assert coords and coords[0]["geometry"]["coordinates"] == [43.1297, 36.3412]
    assert coords[0]["category"] == "gathering" and coords[0]["confidence"] > places[0]["confidence"]
    start, end = coords[0]["evidence"]["span"]
    assert "36.3412" in TEXT[start:end]
    assert any(p["evidence"]["geonameid"] == 99072 for p in places)  # Mosul
    # Only the originator sees and decides suggestions.
    assert client.get(f"/api/v1/reports/{rid}/suggestions", headers=sy.headers).status_code == 404
    assert (
        client.post(f"/api/v1/suggestions/{coords[0]['id']}:confirm", headers=sy.headers).status_code == 404
    )
    ok = client.post(f"/api/v1/suggestions/{coords[0]['id']}:confirm", headers=iq.headers)
    assert ok.status_code == 200 and ok.json()["state"] == "confirmed"
    assert (
        client.post(f"/api/v1/suggestions/{coords[0]['id']}:confirm", headers=iq.headers).status_code == 409
    )
    assert (
        client.post(f"/api/v1/suggestions/{places[0]['id']}:dismiss", headers=iq.headers).json()["state"]
        == "dismissed"
    )
    report = client.get(f"/api/v1/reports/{rid}", headers=sy.headers).json()
    assert [o["geometry"]["coordinates"] for o in report["observations"]] == [[43.1297, 36.3412]]
    assert report["observations"][0]["observed_at"].startswith("2015-09-12")
    fc = client.get("/api/v1/observations.geojson", headers=sy.headers, params={"bbox": "43,36,44,37"}).json()
    assert [f["properties"]["report_id"] for f in fc["features"]] == [rid]
    with centre.db.read() as conn:
        result = verify(conn)
    assert result.ok, result.problem


def test_reports_with_observations_or_no_text_queue_nothing(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account]
) -> None:
    _submit(client, accounts["IQ"], "   ")
    _submit(
        client,
        accounts["IQ"],
        TEXT,
        observations=[{"category": "position", "geometry": {"type": "Point", "coordinates": [43, 36]}}],
    )
    with centre.db.read() as conn:
        assert conn.execute(select(jobs)).first() is None


def test_a_crashed_worker_s_job_is_claimed_again(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account]
) -> None:
    _submit(client, accounts["IQ"], TEXT, precedence="ROUTINE")
    flash = _submit(client, accounts["IQ"], TEXT, precedence="FLASH")
    with centre.db.write() as conn:
        claimed = queue.claim(conn, centre.db.dialect, ["extract"], 1)
    assert [j["ref"] for j in claimed] == [flash]  # by precedence first
    # The worker dies holding the job; after its lease, another worker takes it.
    with centre.db.write() as conn:
        conn.execute(
            update(jobs)
            .values(claimed_at=datetime.now(UTC) - queue.LEASE - timedelta(seconds=1))
            .where(jobs.c.id == claimed[0]["id"])
        )
    assert run_extraction_jobs(centre) == 2
    with centre.db.read() as conn:
        assert set(conn.execute(select(jobs.c.state)).scalars()) == {"done"}


def test_seed_articles_and_cli(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account], database_url: str
) -> None:
    ids = [
        _submit(client, accounts["IQ"], p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))
    ]
    out = CliRunner().invoke(build_app(), ["worker", "--once", "--database-url", database_url])
    assert out.exit_code == 0 and f"processed {len(ids)} jobs" in out.stdout
    found = [
        client.get(f"/api/v1/reports/{rid}/suggestions", headers=accounts["IQ"].headers).json() for rid in ids
    ]
    names = {s["evidence"].get("geonameid") for per in found for s in per}
    assert 98182 in names  # Baghdad is named in the seed articles
    runner = CliRunner()
    listed = runner.invoke(
        build_app(), ["report", "suggestions", ids[0], "--member", "IQ", "--database-url", database_url]
    )
    assert listed.exit_code == 0 and "suggested" in listed.stdout
    first = listed.stdout.split()[0]
    done = runner.invoke(
        build_app(), ["report", "confirm", first, "--member", "IQ", "--database-url", database_url]
    )
    assert done.exit_code == 0 and "confirmed" in done.stdout
    again = runner.invoke(
        build_app(), ["report", "dismiss", first, "--member", "IQ", "--database-url", database_url]
    )
    assert again.exit_code == 1 and again.stderr.startswith("error: suggestion")
    other = runner.invoke(
        build_app(), ["report", "suggestions", ids[0], "--member", "SY", "--database-url", database_url]
    )
    assert other.exit_code == 1 and "there is no report" in other.stderr
