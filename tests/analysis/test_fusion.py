"""Fusion on both databases: matching, confidence, contradictions, decisions, quality, the engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event, func, insert, select

from markaz.analysis import fused
from markaz.analysis.confidence import confidence
from markaz.analysis.families import subject_key
from markaz.analysis.fusion import BATCH, fuse_all, run_fusion, working_cache_mib
from markaz.analysis.matching import Node
from markaz.centre import Centre
from markaz.collection import intake
from markaz.domain.models import ReportCorrection
from markaz.governance import chair
from markaz.storage import audit
from markaz.storage.database import SQLITE_CACHE_KIB
from markaz.storage.schema import audit_log
from markaz.storage.schema_fusion import fusion_decisions, fusion_edges, fusion_gaps, fusion_nodes
from tests.analysis.fusion_helpers import point, submit
from tests.asgi_client import ASGIClient
from tests.conftest import Account, seat_chair

NOW = datetime(2026, 6, 16, 12, 0, tzinfo=UTC)
DEPOT = (44.36, 33.31)


def _at(days_before: float) -> str:
    return (NOW - timedelta(days=days_before)).isoformat()


def _depot(dx_m: float = 0.0, days_before: float = 15, note: str | None = None) -> dict[str, Any]:
    return {
        "category": "weapons_depot",
        "geometry": point(DEPOT[0] + dx_m / 93_000, DEPOT[1]),
        "observed_at": _at(days_before),
        "note": note,
    }


def _worked_example(centre: Centre, accounts: dict[str, Account]) -> list[Node]:
    """The example of docs/analysis.md, section 'A worked example'."""
    nodes = []
    nodes += submit(centre, accounts["IQ"], [_depot(0, 16)], reliability="B", credibility="2")[1]
    nodes += submit(centre, accounts["IQ"], [_depot(150, 15.5)], reliability="C", credibility="3")[1]
    nodes += submit(centre, accounts["RU"], [_depot(-300, 15)], reliability="A", credibility="3")[1]
    nodes += submit(centre, accounts["SY"], [_depot(400, 15)], reliability="F", credibility="6")[1]
    fuse_all(centre)
    return nodes


def test_worked_example_of_the_docs(centre: Centre, accounts: dict[str, Account], client: ASGIClient) -> None:
    nodes = _worked_example(centre, accounts)
    site = fused.get_site(centre, "IQ", f"S{nodes[0].id}", now=NOW)
    assert site["observations"] == 4 and site["sources"] == 3
    assert site["confidence"] == 66
    e = site["confidence_explanation"]
    assert [c["support"] for c in e["contributions"]] == [0.56, 0.3, 0.5, None]
    assert e["members"] == [
        {"member": "IQ", "best_support": 0.56, "observation_id": nodes[0].id},
        {"member": "RU", "best_support": 0.5, "observation_id": nodes[2].id},
    ]
    assert e["corroboration"] == 0.78
    assert e["age_days"] == 15.0 and e["half_life_days"] == 60.0
    assert e["decay"] == 0.840896
    # The same contributions contested keep half: 32.79... rounds to 33.
    score, _ = confidence(nodes, contested=True, half_life_days=60.0, now=NOW)
    assert score == 33
    # A report only IQ may see raises IQ's best support to 0.9 (A1) for IQ alone:
    # 1 - 0.1 * 0.5 = 0.95; 100 * 0.95 * 0.840896 = 79.9 -> 80. RU's score does not move.
    hidden = submit(
        centre, accounts["IQ"], [_depot(50, 15)], releasable_to=["IQ"], reliability="A", credibility="1"
    )[1]
    fuse_all(centre)
    assert fused.get_site(centre, "RU", f"S{nodes[0].id}", now=NOW)["confidence"] == 66
    assert fused.get_site(centre, "IQ", f"S{nodes[0].id}", now=NOW)["confidence"] == 80
    assert client.get(f"/api/v1/sites/S{hidden[0].id}", headers=accounts["RU"].headers).status_code == 404
    r = client.get(f"/api/v1/sites/S{hidden[0].id}", headers=accounts["IQ"].headers)
    assert r.status_code == 200 and r.json()["id"] == f"S{nodes[0].id}"


def test_repeats_by_one_member_do_not_corroborate(centre: Centre, accounts: dict[str, Account]) -> None:
    one = submit(centre, accounts["IQ"], [_depot(0)], reliability="B", credibility="2")[1]
    for dx in (50, 100, 150):
        submit(centre, accounts["IQ"], [_depot(dx)], reliability="B", credibility="2")
    fuse_all(centre)
    site = fused.get_site(centre, "RU", f"S{one[0].id}", now=NOW)
    assert site["observations"] == 4 and site["sources"] == 1
    assert site["confidence"] == round(100 * 0.56 * 0.5**0.25)


def test_contested_when_reported_destroyed_and_active(centre: Centre, accounts: dict[str, Account]) -> None:
    destroyed = submit(
        centre, accounts["IQ"], [_depot(0, 10, "status:destroyed")], releasable_to=["IQ", "SY"]
    )
    active_after = submit(centre, accounts["RU"], [_depot(200, 9.5)], releasable_to=["RU", "SY"])
    fuse_all(centre)
    sid = f"S{destroyed[1][0].id}"
    seen_by_sy = fused.get_site(centre, "SY", sid, now=NOW)
    assert seen_by_sy["contested"] is True
    assert seen_by_sy["contradictions"] == [
        {
            "kind": "status",
            "observations": [destroyed[1][0].id, active_after[1][0].id],
            "reason": "reported destroyed or abandoned, and reported active at or after that time",
        }
    ]
    # IQ does not see RU's report: for IQ there is nothing to contradict, and no hint of it.
    seen_by_iq = fused.get_site(centre, "IQ", sid, now=NOW)
    assert seen_by_iq["contested"] is False and seen_by_iq["observations"] == 1
    assert fused.list_sites(centre, "SY", fused.FusedFilter(contested=True))["items"][0]["id"] == sid
    assert fused.list_sites(centre, "IQ", fused.FusedFilter(contested=True))["items"] == []


def test_active_before_destruction_is_no_contradiction(centre: Centre, accounts: dict[str, Account]) -> None:
    first = submit(centre, accounts["RU"], [_depot(0, 12)])[1]
    submit(centre, accounts["IQ"], [_depot(100, 10, "status:destroyed")])
    submit(centre, accounts["SY"], [_depot(100, 2, "status:active")])  # long after: rebuilt
    fuse_all(centre)
    site = fused.get_site(centre, "IR", f"S{first[0].id}", now=NOW)
    assert site["observations"] == 3 and site["contested"] is False


def _sighting(lon: float, lat: float, hours: float, subject: str) -> dict[str, Any]:
    return {
        "category": "movement",
        "geometry": point(lon, lat),
        "observed_at": (NOW - timedelta(hours=hours)).isoformat(),
        "subject": subject,
    }


def test_tracks_join_names_across_scripts_and_flag_impossible_speed(
    centre: Centre, accounts: dict[str, Account], client: ASGIClient
) -> None:
    assert subject_key("Jaysh al-Islam") == subject_key("جيش الإسلام") == subject_key("Джейш аль-Ислам")
    a = submit(centre, accounts["IQ"], [_sighting(43.10, 36.30, 10, "Jaysh al-Islam")])[1]
    b = submit(centre, accounts["RU"], [_sighting(43.20, 36.35, 9, "Джейш аль-Ислам")])[1]
    line = {
        "category": "movement",
        "geometry": {"type": "LineString", "coordinates": [[43.2, 36.35], [43.3, 36.4], [43.4, 36.42]]},
        "observed_at": (NOW - timedelta(hours=8)).isoformat(),
        "subject": "جيش الإسلام",
    }
    c = submit(centre, accounts["SY"], [line])[1]
    far = submit(centre, accounts["IR"], [_sighting(38.0, 33.5, 8.5, "Jaysh al-Islam")])[1]
    fuse_all(centre)
    tracks = {t["id"]: t for t in fused.list_tracks(centre, "IQ", now=NOW)["items"]}
    track = tracks[f"T{a[0].id}"]
    assert track["observations"] == 3 and track["sources"] == 3
    assert track["geometry"]["type"] == "LineString"
    assert track["geometry"]["coordinates"][0] == [43.1, 36.3]
    assert track["geometry"]["coordinates"][-1] == [43.4, 36.42]
    assert track["contested"] is True and track["contradictions"][0]["kind"] == "speed"
    assert tracks[f"T{far[0].id}"]["contested"] is True
    detail = client.get(f"/api/v1/tracks/T{c[0].id}", headers=accounts["RU"].headers).json()
    assert detail["id"] == f"T{a[0].id}"
    assert {m["observation_id"] for m in detail["contributions"][1]["matched_with"]} == {a[0].id, c[0].id}
    assert b[0].id in {x["observation_id"] for x in detail["contributions"]}
    fc = client.get("/api/v1/tracks.geojson", headers=accounts["SY"].headers).json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 2


def _count(centre: Centre, table: Any) -> int:
    with centre.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_split_and_merge_stick_are_audited_and_bad_requests_change_nothing(
    centre: Centre, accounts: dict[str, Account], client: ASGIClient
) -> None:
    h = accounts["IQ"].headers
    first = submit(centre, accounts["IQ"], [_depot(0)])[1][0].id
    second = submit(centre, accounts["RU"], [_depot(500)])[1][0].id
    fuse_all(centre)
    entries = _count(centre, audit_log)
    # Bad requests: unknown site, an observation not in the site, all of them, bad body.
    assert (
        client.post(
            "/api/v1/sites/S999999:split", headers=h, json={"observations": [1], "reason": "x"}
        ).status_code
        == 404
    )
    r = client.post(
        f"/api/v1/sites/S{first}:split", headers=h, json={"observations": [999999], "reason": "x"}
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "observations"
    r = client.post(
        f"/api/v1/sites/S{first}:split", headers=h, json={"observations": [first, second], "reason": "x"}
    )
    assert r.status_code == 422
    assert (
        client.post(f"/api/v1/sites/S{first}:split", headers=h, json={"observations": [second]}).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/v1/sites/T{first}:split", headers=h, json={"observations": [1], "reason": "x"}
        ).status_code
        == 404
    )
    assert _count(centre, fusion_decisions) == 0 and _count(centre, audit_log) == entries

    r = client.post(
        f"/api/v1/sites/S{first}:split", headers=h, json={"observations": [second], "reason": "two depots"}
    )
    assert r.status_code == 200, r.text
    assert [s["id"] for s in r.json()["items"]] == [f"S{first}", f"S{second}"]
    # A new report between the two would bridge them; the split keeps them apart.
    bridge = submit(centre, accounts["SY"], [_depot(250)])[1][0].id
    fuse_all(centre)
    sites = {s["id"]: s["observations"] for s in fused.list_sites(centre, "RU")["items"]}
    assert sites == {f"S{first}": 2, f"S{second}": 1}
    assert bridge in {c["observation_id"] for c in fused.get_site(centre, "RU", f"S{first}")["contributions"]}

    # A member that cannot see every observation the decision names is not affected by it.
    hidden = submit(centre, accounts["IQ"], [_depot(260)], releasable_to=["IQ"])[1][0].id
    fuse_all(centre)
    client.post(
        f"/api/v1/sites/S{first}:split",
        headers=h,
        json={"observations": [hidden], "reason": "IQ only"},
    ).raise_for_status()
    assert fused.get_site(centre, "RU", f"S{first}")["decisions"] == [1]

    # A site the caller may not see answers 404 like one that does not exist, and stores nothing.
    only_iq = submit(centre, accounts["IQ"], [_depot(40_000)], releasable_to=["IQ"])[1][0].id
    fuse_all(centre)
    before = (_count(centre, fusion_decisions), _count(centre, audit_log))
    r = client.post(
        f"/api/v1/sites/S{only_iq}:split",
        headers=accounts["RU"].headers,
        json={"observations": [only_iq], "reason": "x"},
    )
    assert r.status_code == 404 and r.json()["error"] == {
        "code": "not_found",
        "message": f"there is no site S{only_iq}",
    }
    assert (_count(centre, fusion_decisions), _count(centre, audit_log)) == before

    # Merging sites of different families: a clear 422, nothing stored.
    gathering = submit(centre, accounts["IQ"], [{**_depot(5000), "category": "gathering"}])[1][0].id
    fuse_all(centre)
    decisions_before = _count(centre, fusion_decisions)
    r = client.post(
        "/api/v1/sites:merge", headers=h, json={"items": [f"S{first}", f"S{gathering}"], "reason": "x"}
    )
    assert r.status_code == 422 and "families" in r.json()["error"]["message"]
    r = client.post(
        "/api/v1/sites:merge",
        headers=accounts["RU"].headers,
        json={"items": [f"S{first}", f"S{hidden}"], "reason": "x"},
    )
    assert r.status_code == 404
    assert _count(centre, fusion_decisions) == decisions_before

    r = client.post(
        "/api/v1/sites:merge",
        headers=accounts["RU"].headers,
        json={"items": [f"S{second}", f"S{first}"], "reason": "one"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["id"] == f"S{first}" and r.json()["items"][0]["observations"] == 3
    assert fused.get_site(centre, "RU", f"S{second}")["id"] == f"S{first}"
    with centre.db.read() as conn:
        result = audit.verify(conn)
        actions = list(
            conn.execute(
                select(audit_log.c.action).where(audit_log.c.object_type == "fusion_decision")
            ).scalars()
        )
    assert result.ok, result.problem
    assert actions == ["fusion.split", "fusion.split", "fusion.merge"]


def test_quality_record_is_the_members_own_or_the_chairs(
    centre: Centre, accounts: dict[str, Account], client: ASGIClient
) -> None:
    seat_chair(centre)
    chair_code = chair.current(centre).member
    others = [c for c in accounts if c != chair_code]
    member, bystander = others[0], others[1]
    submit(centre, accounts[member], [_depot(0)])
    submit(centre, accounts[bystander], [_depot(200)], releasable_to=[bystander, member])
    submit(centre, accounts[chair_code], [_depot(300, 15.5, "status:destroyed")], releasable_to=[chair_code])
    fuse_all(centre)
    own = client.get(f"/api/v1/members/{member}/quality", headers=accounts[member].headers)
    assert own.status_code == 200, own.text
    assert own.json()["corroborated"] == 1 and own.json()["contradicted"] == 0
    assert own.json()["by_member"] == [{"member": bystander, "corroborated": 1, "contradicted": 0}]
    # The chair sees the record over what it may see: the bystander's report is not released
    # to it, its own destroyed report is.
    seen_by_chair = client.get(
        f"/api/v1/members/{member}/quality", headers=accounts[chair_code].headers
    ).json()
    assert seen_by_chair["corroborated"] == 0 and seen_by_chair["contradicted"] == 1
    for code in (member, chair_code):
        r = client.get(f"/api/v1/members/{code}/quality", headers=accounts[bystander].headers)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/members/ZZ/quality", headers=accounts[chair_code].headers).status_code == 404


def test_the_engine_takes_in_gaps_and_is_idempotent(centre: Centre, accounts: dict[str, Account]) -> None:
    ids = [submit(centre, accounts["IQ"], [_depot(i * 10)])[1][0].id for i in range(5)]
    assert run_fusion(centre, limit=2) == 2
    assert fuse_all(centre) == 3 and fuse_all(centre) == 0
    # As if a PostgreSQL transaction had committed one id late: it is a gap, taken in later.
    with centre.db.write() as conn:
        conn.execute(fusion_nodes.delete().where(fusion_nodes.c.obs_id == ids[2]))
        conn.execute(fusion_edges.delete().where((fusion_edges.c.a == ids[2]) | (fusion_edges.c.b == ids[2])))
        if centre.db.dialect.name == "sqlite":
            conn.exec_driver_sql(f"DELETE FROM fusion_cells WHERE id = {ids[2]}")
        conn.execute(insert(fusion_gaps).values(obs_id=ids[2], seen_at=datetime.now(UTC)))
    assert fused.get_site(centre, "RU", f"S{ids[0]}")["observations"] == 4
    assert fuse_all(centre) == 1
    assert _count(centre, fusion_gaps) == 0
    assert fused.get_site(centre, "RU", f"S{ids[0]}")["observations"] == 5


def test_retracted_and_corrected_reports_leave_the_picture_and_unsupported_corrections_are_contested(
    centre: Centre, accounts: dict[str, Account]
) -> None:
    keep = submit(centre, accounts["IQ"], [_depot(0)])[1][0].id
    moved = submit(centre, accounts["RU"], [_depot(600)])
    gone = submit(centre, accounts["SY"], [_depot(300)])
    fuse_all(centre)
    assert fused.get_site(centre, "IR", f"S{keep}")["observations"] == 3
    intake.retract(centre, accounts["SY"].principal, gone[0]["id"], "wrong place")
    assert fused.get_site(centre, "IR", f"S{keep}")["observations"] == 2
    intake.correct(
        centre,
        accounts["RU"].principal,
        moved[0]["id"],
        ReportCorrection.model_validate(
            {"title": "moved (synthetic)", "observations": [_depot(20_000)], "releasable_to": ["ALL"]}
        ),
    )
    fuse_all(centre)
    assert fused.get_site(centre, "IR", f"S{keep}")["observations"] == 1
    sites = fused.list_sites(centre, "IR", now=NOW)["items"]
    assert len(sites) == 2
    # RU moved its report 20 km; IQ's report still supports the original place: contested.
    moved_site = next(s for s in sites if s["id"] != f"S{keep}")
    assert moved_site["contested"] is True
    assert moved_site["contradictions"][0]["kind"] == "correction"
    assert moved_site["contradictions"][0]["observations"][1] == moved[1][0].id
    assert fused.get_site(centre, "IR", f"S{keep}")["contested"] is False


def test_a_correction_is_contested_only_over_what_the_viewer_may_see(
    centre: Centre, accounts: dict[str, Account]
) -> None:
    original = submit(centre, accounts["IQ"], [_depot(0)], releasable_to=["IQ", "RU", "SY"])
    submit(centre, accounts["SY"], [_depot(200)], releasable_to=["SY", "RU"])
    fuse_all(centre)
    new_id = intake.correct(
        centre,
        accounts["IQ"].principal,
        original[0]["id"],
        ReportCorrection.model_validate(
            {
                "title": "moved (synthetic)",
                "observations": [_depot(30_000)],
                "releasable_to": ["IQ", "RU", "SY"],
            }
        ),
    )
    fuse_all(centre)
    moved = [s for s in fused.list_sites(centre, "RU")["items"] if s["originators"] == ["IQ"]]
    assert moved[0]["contested"] is True
    # IQ may not see SY's report: nothing contradicts the correction for IQ.
    mine = [s for s in fused.list_sites(centre, "IQ")["items"] if s["originators"] == ["IQ"]]
    assert mine[0]["contested"] is False and mine[0]["contradictions"] == []
    assert new_id


def test_filters_and_bad_parameters(centre: Centre, accounts: dict[str, Account], client: ASGIClient) -> None:
    submit(centre, accounts["IQ"], [_depot(0)])
    submit(centre, accounts["IQ"], [{**_depot(0), "geometry": point(40.0, 35.0), "category": "gathering"}])
    fuse_all(centre)
    h = accounts["RU"].headers
    assert len(client.get("/api/v1/sites", headers=h).json()["items"]) == 2
    boxed = client.get("/api/v1/sites", headers=h, params={"bbox": "44,33,45,34"}).json()["items"]
    assert [s["category"] for s in boxed] == ["weapons_depot"]
    assert len(client.get("/api/v1/sites", headers=h, params={"category": "gathering"}).json()["items"]) == 1
    later = (NOW + timedelta(days=1)).isoformat()
    assert client.get("/api/v1/sites", headers=h, params={"since": later}).json()["items"] == []
    fc = client.get("/api/v1/sites.geojson", headers=h)
    assert fc.headers["content-type"].startswith("application/geo+json")
    assert len(fc.json()["features"]) == 2
    for params in ({"bbox": "1,2,3"}, {"limit": "0"}, {"cursor": "nonsense"}, {"category": "x"}):
        r = client.get("/api/v1/sites", headers=h, params=params)
        assert r.status_code in (400, 422), (params, r.text)
        assert "error" in r.json()
    assert client.get("/api/v1/sites/garbage", headers=h).status_code == 404
    assert client.get("/api/v1/sites", params={}).status_code == 401


@pytest.mark.parametrize("n", [3])
def test_page_cursor_walks_every_site_once(centre: Centre, accounts: dict[str, Account], n: int) -> None:
    for i in range(7):
        submit(centre, accounts["IQ"], [{**_depot(0), "geometry": point(40 + i * 0.1, 35.0)}])
    fuse_all(centre)
    seen: list[str] = []
    cursor = None
    while True:
        page = fused.list_sites(centre, "SY", limit=n, cursor=cursor)
        seen += [s["id"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7 == len(set(seen))


def test_migration_0016_moves_sqlite_site_index_to_cells_and_back_keeping_the_graph(
    centre: Centre, accounts: dict[str, Account]
) -> None:
    import importlib.util

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from markaz.storage import migrate

    path = migrate._MIGRATIONS / "versions" / "0016_fusion_cells.py"
    spec = importlib.util.spec_from_file_location("markaz_migration_0016", path)
    assert spec and spec.loader
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    def run(step: str) -> None:
        with centre.db.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
            getattr(migration, step)()

    def cells() -> list[tuple[Any, ...]]:
        if centre.db.dialect.name != "sqlite":
            return []
        with centre.db.read() as conn:
            return [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM fusion_cells ORDER BY id")]

    first = submit(centre, accounts["IQ"], [_depot(0)])[1][0].id
    submit(centre, accounts["RU"], [_depot(300, 14)])
    submit(centre, accounts["SY"], [{**_depot(0), "category": "movement", "subject": "column"}])
    fuse_all(centre)
    before = cells()
    assert centre.db.dialect.name != "sqlite" or len(before) == 2
    run("downgrade")
    if centre.db.dialect.name == "sqlite":
        with centre.db.read() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM fusion_rtree").scalar_one() == 2
    run("upgrade")
    assert cells() == before
    # The moved index serves the next observations: a third member's report joins the site.
    submit(centre, accounts["SY"], [_depot(-200, 13)])
    assert fuse_all(centre) == 1
    site = fused.get_site(centre, "IR", f"S{first}")
    assert site["observations"] == 3 and site["sources"] == 3


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)))
def test_pending_times_are_the_seconds_of_the_utc_time(when: datetime) -> None:
    """SQLite keeps UTC as text without a zone; PostgreSQL hands back aware datetimes: both read
    as the same seconds as datetime.timestamp() of the aware UTC time."""
    from markaz.storage.fusion_graph import _seconds

    aware = when.replace(tzinfo=UTC)
    assert _seconds(when.isoformat(sep=" ")) == aware.timestamp()
    assert _seconds(aware) == aware.timestamp()
    assert _seconds(aware.isoformat()) == aware.timestamp()


def test_only_runs_larger_than_the_worker_batch_raise_the_sqlite_page_cache(
    centre: Centre, accounts: dict[str, Account]
) -> None:
    pragmas: list[str] = []

    def executing(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("PRAGMA cache_size"):
            pragmas.append(statement)

    pool = f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}"
    raised = f"PRAGMA cache_size=-{centre.settings.fusion_sqlite_cache_mib * 1024}"
    assert working_cache_mib(centre, BATCH) * 1024 == SQLITE_CACHE_KIB
    assert working_cache_mib(centre, BATCH + 1) == centre.settings.fusion_sqlite_cache_mib
    event.listen(centre.db.engine, "before_cursor_execute", executing)
    try:
        submit(centre, accounts["IQ"], [_depot(0)])
        assert run_fusion(centre, limit=BATCH) == 1
        worker_run, pragmas[:] = list(pragmas), []
        submit(centre, accounts["IQ"], [_depot(10)])
        assert run_fusion(centre, limit=BATCH * 20) == 1
    finally:
        event.remove(centre.db.engine, "before_cursor_execute", executing)
    if centre.db.is_sqlite:
        assert worker_run == [pool, pool]  # the pool's cache throughout
        assert pragmas == [raised, pool]  # raised for the run, set back after it
    else:
        assert worker_run == pragmas == []  # PostgreSQL's caches are the server's
