"""The rotating chair on both databases: record, current chair, handover, suspension, accession, audit."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from markaz.centre import Centre
from markaz.cli import build_app
from markaz.domain.enums import MemberStatus, Role
from markaz.errors import Forbidden, InvalidInput
from markaz.governance import chair
from markaz.governance.terms import check_terms
from markaz.storage.audit import verify
from markaz.storage.members import add_member, set_member_status
from markaz.storage.principals import Principal, add_principal
from tests.asgi_client import ASGIClient
from tests.conftest import Account, add_account, seat_chair

FOUNDED = datetime(2015, 9, 1, tzinfo=UTC)


def _found(centre: Centre, codes: list[str], first: str = "IQ", months: int = 3) -> None:
    with centre.db.write() as conn:
        for code in codes:
            add_member(conn, centre.db.dialect, code=code, names={"en": code}, actor="test", now=FOUNDED)
        chair.setup(
            conn, centre.db.dialect, first_chair=first, starts_on=date(2015, 10, 1), months=months, actor="t"
        )


def _admin(centre: Centre, code: str) -> Principal:
    with centre.db.write() as conn:
        row = add_principal(
            conn,
            centre.db.dialect,
            username=f"{code.lower()}.admin",
            member=code,
            role=Role.MEMBER_ADMIN,
            actor="test",
        )
    return Principal(row["id"], row["username"], code, Role.MEMBER_ADMIN, MemberStatus.ACTIVE)


def test_founding_case_record_and_handover(centre: Centre) -> None:
    _found(centre, ["IQ", "RU", "SY", "IR"])
    today = date(2016, 2, 10)
    assert chair.current(centre, today) == chair.ChairTerm("RU", date(2016, 1, 1), date(2016, 3, 31))
    first = chair.schedule(centre, since=date(2015, 10, 1), until=date(2015, 10, 1), today=today)
    assert first[0].member == "IQ"
    # Only the chair's admin may hand over; an analyst or another member may not.
    with pytest.raises(Forbidden):
        chair.handover(centre, _admin(centre, "SY"), today)
    new = chair.handover(centre, _admin(centre, "RU"), today)
    assert new == chair.ChairTerm("SY", today, date(2016, 5, 9))
    terms = chair.schedule(centre, since=date(2015, 10, 1), until=date(2017, 1, 1), today=today)
    assert terms[1] == chair.ChairTerm("RU", date(2016, 1, 1), date(2016, 2, 9))
    assert [t.member for t in terms[2:5]] == ["SY", "IR", "IQ"]
    check_terms(terms, 3)
    with centre.db.read() as conn:
        result = verify(conn)
    assert result.ok, result.problem


def test_handover_on_the_first_day(centre: Centre) -> None:
    _found(centre, ["IQ", "RU", "SY"])
    new = chair.handover(centre, _admin(centre, "IQ"), date(2015, 10, 1))
    assert new.member == "RU" and new.starts_on == date(2015, 10, 1)
    with centre.db.read() as conn:
        assert verify(conn).ok


def test_suspended_skipped_and_new_member_at_the_end(centre: Centre) -> None:
    _found(centre, ["IQ", "RU", "SY"])
    with centre.db.write() as conn:
        set_member_status(conn, centre.db.dialect, "RU", MemberStatus.SUSPENDED, actor="test")
        add_member(
            conn,
            centre.db.dialect,
            code="KZ",
            names={"en": "New"},
            actor="test",
            now=datetime(2015, 11, 1, tzinfo=UTC),
        )
    terms = chair.schedule(centre, since=date(2015, 10, 1), until=date(2016, 12, 31), today=date(2015, 10, 5))
    assert [t.member for t in terms] == ["IQ", "SY", "KZ", "IQ", "SY"]


def test_setup_refusals(centre: Centre) -> None:
    _found(centre, ["IQ", "RU"])
    with centre.db.write() as conn, pytest.raises(Exception, match="already set up"):
        chair.setup(
            conn, centre.db.dialect, first_chair="IQ", starts_on=date(2016, 1, 1), months=3, actor="t"
        )
    with pytest.raises(InvalidInput):
        chair.schedule(centre, since=date(2016, 1, 1), until=date(2015, 1, 1))


@settings(max_examples=10)
@given(days=st.lists(st.integers(1, 400), min_size=1, max_size=4))
def test_generated_handovers_keep_the_rules(centre: Centre, days: list[int]) -> None:
    # One rotation per test database; the examples go on from where the last one left off.
    with centre.db.read() as conn:
        has_rotation = conn.exec_driver_sql("SELECT count(*) FROM chair_rotation").scalar_one()
    if not has_rotation:
        _found(centre, ["IQ", "RU", "SY", "IR"])
    today = date(2015, 10, 1)
    with centre.db.read() as conn:
        last = conn.exec_driver_sql("SELECT max(starts_on) FROM chair_terms").scalar_one()
    if last is not None:
        today = last if isinstance(last, date) else date.fromisoformat(str(last))
    for step in days:
        today += timedelta(days=step)
        holder = chair.current(centre, today)
        chair.handover(
            centre, Principal(0, "x", holder.member, Role.MEMBER_ADMIN, MemberStatus.ACTIVE), today
        )
    terms = chair.schedule(centre, since=date(2015, 10, 1), until=today + timedelta(days=400), today=today)
    check_terms(terms, 3)
    for a, b in itertools.pairwise(terms):
        assert a.member != b.member


def test_api_and_cli(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account], database_url: str
) -> None:
    seat_chair(centre)
    h = accounts["SY"].headers
    assert client.get("/api/v1/governance/chair", headers=h).json()["member"] == "IQ"
    terms = client.get("/api/v1/governance/terms", headers=h).json()
    assert [t["member"] for t in terms[:4]] == ["IQ", "RU", "SY", "IR"]
    assert (
        client.get(
            "/api/v1/governance/terms", headers=h, params={"from": "2030-01-01", "to": "2029-01-01"}
        ).status_code
        == 422
    )
    # An analyst of the chair may not hand over; its member_admin may; SY (not chair) may not.
    assert client.post("/api/v1/governance/handover", headers=accounts["IQ"].headers).status_code == 403
    sy_admin = add_account(centre, "SY", Role.MEMBER_ADMIN, new_member=False)
    assert client.post("/api/v1/governance/handover", headers=sy_admin.headers).status_code == 403
    iq_admin = add_account(centre, "IQ", Role.MEMBER_ADMIN, new_member=False)
    r = client.post("/api/v1/governance/handover", headers=iq_admin.headers)
    assert r.status_code == 200 and r.json()["member"] == "RU"
    runner = CliRunner()
    out = runner.invoke(build_app(), ["chair", "current", "--database-url", database_url])
    assert out.exit_code == 0 and out.stdout.startswith("RU")
    out = runner.invoke(build_app(), ["chair", "schedule", "--months", "12", "--database-url", database_url])
    assert out.exit_code == 0 and len(out.stdout.splitlines()) >= 4
    out = runner.invoke(
        build_app(),
        ["chair", "setup", "--first", "IQ", "--starts-on", "2015-13-01", "--database-url", database_url],
    )
    assert out.exit_code == 1 and out.stderr.startswith("error:")


def test_chair_has_no_extra_read_rights(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account]
) -> None:
    seat_chair(centre)
    rid = client.post(
        "/api/v1/reports",
        headers=accounts["SY"].headers,
        json={
            "title": "SY to RU only",
            "releasable_to": ["RU"],
            "observations": [
                {"category": "position", "geometry": {"type": "Point", "coordinates": [40, 35]}}
            ],
        },
    ).json()["id"]
    iq_admin = add_account(centre, "IQ", Role.CENTRE_ADMIN, new_member=False)
    for account in (accounts["IQ"], iq_admin):
        h = account.headers
        assert client.get(f"/api/v1/reports/{rid}", headers=h).status_code == 404
        assert rid not in {i["id"] for i in client.get("/api/v1/reports", headers=h).json()["items"]}
        assert client.get("/api/v1/reports", headers=h, params={"q": "only"}).json()["items"] == []
        fc = client.get("/api/v1/observations.geojson", headers=h, params={"bbox": "39,34,41,36"}).json()
        assert fc["features"] == []
