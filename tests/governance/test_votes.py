"""Accession, suspension and reinstatement by vote, through the HTTP API, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from markaz.centre import Centre
from markaz.domain.enums import Role
from markaz.governance.votes import decide
from markaz.storage.audit import verify
from markaz.storage.schema import motions
from tests.asgi_client import ASGIClient
from tests.conftest import Account, add_account, seat_chair


def test_decision_rule() -> None:
    five = {"A", "B", "C", "D", "E"}
    assert decide({"A": "approve", "B": "approve", "C": "abstain", "D": "approve"}, five).passes
    assert not decide({"A": "approve", "B": "approve", "C": "reject", "D": "approve"}, five).passes
    assert not decide({"A": "approve", "B": "approve", "C": "approve"}, five).passes  # 3 < quorum 4
    assert not decide({"A": "abstain", "B": "abstain", "C": "abstain", "D": "abstain"}, five).passes
    assert decide(
        {"X": "reject", "A": "approve", "B": "approve", "C": "approve", "D": "approve"}, five
    ).passes


@pytest.fixture
def governed(centre: Centre, accounts: dict[str, Account]) -> dict[str, Account]:
    seat_chair(centre)
    return {code: add_account(centre, code, Role.MEMBER_ADMIN, new_member=False) for code in accounts}


def _apply(client: ASGIClient, admin: Account, code: str, **extra: Any) -> Any:
    deadline = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    body = {
        "code": code,
        "names": {"en": f"Candidate {code}", "ar": "مرشح"},
        "contact": "liaison@example.org",
        "reason": "wishes to join the exchange",
        "deadline": deadline,
        **extra,
    }
    return client.post("/api/v1/accessions", headers=admin.headers, json=body)


def test_accession_run(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account], governed: dict[str, Account]
) -> None:
    iq = governed["IQ"]
    # Before: a report released to ALL, which the newcomer must never see.
    before = client.post(
        "/api/v1/reports",
        headers=accounts["SY"].headers,
        json={"title": "before accession", "releasable_to": ["ALL"]},
    ).json()["id"]
    # Only the chair opens a vote; refusals change nothing.
    assert _apply(client, governed["SY"], "KZ").status_code == 403
    assert _apply(client, accounts["IQ"], "KZ").status_code == 403
    assert _apply(client, iq, "IQ").status_code == 409
    assert _apply(client, iq, "KZ", deadline="2020-01-01T00:00:00Z").status_code == 422
    assert client.get("/api/v1/accessions", headers=iq.headers).json() == []

    # A rejected candidate.
    rejected = _apply(client, iq, "XX").json()
    assert rejected["status"] == "open" and "unanimity" in rejected["rule"]
    vote = f"/api/v1/accessions/{rejected['id']}/votes"
    assert client.post(vote, headers=iq.headers, json={"choice": "approve"}).status_code == 200
    assert client.post(vote, headers=accounts["RU"].headers, json={"choice": "approve"}).status_code == 403
    assert client.post(vote, headers=governed["RU"].headers, json={"choice": "maybe"}).status_code == 422
    client.post(vote, headers=governed["RU"].headers, json={"choice": "approve"})
    client.post(vote, headers=governed["SY"].headers, json={"choice": "reject"})
    # Changeable until the vote closes: SY changes its mind, still open until IR votes.
    assert (
        client.post(vote, headers=governed["SY"].headers, json={"choice": "reject"}).json()["status"]
        == "open"
    )
    closed = client.post(vote, headers=governed["IR"].headers, json={"choice": "approve"}).json()
    assert closed["status"] == "rejected" and closed["tally"]["reject"] == 1
    assert client.post(vote, headers=governed["IR"].headers, json={"choice": "approve"}).status_code == 409
    assert "XX" not in [m["code"] for m in client.get("/api/v1/members", headers=iq.headers).json()]

    # An admitted candidate.
    admitted = _apply(client, iq, "KZ").json()
    vote = f"/api/v1/accessions/{admitted['id']}/votes"
    for code in ("IQ", "RU", "SY"):
        client.post(vote, headers=governed[code].headers, json={"choice": "approve"})
    final = client.post(vote, headers=governed["IR"].headers, json={"choice": "abstain"}).json()
    assert final["status"] == "approved"
    creds_url = f"/api/v1/accessions/{admitted['id']}:credentials"
    assert client.post(creds_url, headers=governed["SY"].headers).status_code == 403
    creds = client.post(creds_url, headers=iq.headers).json()
    assert creds["member"] == "KZ" and creds["token"].startswith("mkz_")
    assert client.post(creds_url, headers=iq.headers).status_code == 409
    kz = {"Authorization": f"Bearer {creds['token']}"}
    assert client.get("/api/v1/me", headers=kz).json()["member"]["code"] == "KZ"
    # What it can and cannot read: not what was released before it joined, but ALL from now on.
    assert client.get(f"/api/v1/reports/{before}", headers=kz).status_code == 404
    after = client.post(
        "/api/v1/reports",
        headers=accounts["SY"].headers,
        json={"title": "after accession", "releasable_to": ["ALL"]},
    ).json()["id"]
    assert client.get(f"/api/v1/reports/{after}", headers=kz).status_code == 200
    assert [i["id"] for i in client.get("/api/v1/reports", headers=kz).json()["items"]] == [after]
    # It enters the rotation at the end.
    terms = client.get("/api/v1/governance/terms", headers=kz).json()
    assert [t["member"] for t in terms[:5]] == ["IQ", "RU", "SY", "IR", "KZ"]
    with centre.db.read() as conn:
        result = verify(conn)
    assert result.ok, result.problem


def test_suspension_and_deadline(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account], governed: dict[str, Account]
) -> None:
    deadline = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    motion = client.post(
        "/api/v1/members/SY:suspend", headers=governed["IQ"].headers, json={"deadline": deadline}
    )
    assert motion.status_code == 201, motion.text
    mid = motion.json()["id"]
    # SY does not vote on its own suspension.
    assert (
        client.post(
            f"/api/v1/motions/{mid}/votes", headers=governed["SY"].headers, json={"choice": "reject"}
        ).status_code
        == 403
    )
    for code in ("IQ", "RU", "IR"):
        r = client.post(
            f"/api/v1/motions/{mid}/votes", headers=governed[code].headers, json={"choice": "approve"}
        )
    assert r.json()["status"] == "approved"
    # Suspended: reads stop at once.
    assert client.get("/api/v1/reports", headers=accounts["SY"].headers).status_code == 403
    # Reinstatement with a deadline that passes with too few votes: rejected at the deadline.
    re_open = client.post(
        "/api/v1/members/SY:reinstate", headers=governed["IQ"].headers, json={"deadline": deadline}
    ).json()
    client.post(
        f"/api/v1/motions/{re_open['id']}/votes", headers=governed["RU"].headers, json={"choice": "approve"}
    )
    with centre.db.write() as conn:
        conn.execute(
            update(motions)
            .where(motions.c.id == re_open["id"])
            .values(deadline=datetime.now(UTC) - timedelta(seconds=1))
        )
    settled = client.get(f"/api/v1/accessions/{re_open['id']}", headers=governed["IQ"].headers)
    assert settled.status_code == 404  # not an accession
    listed = {m["id"]: m for m in client.get("/api/v1/motions", headers=governed["IQ"].headers).json()}
    assert listed[re_open["id"]]["status"] == "rejected"
    assert listed[re_open["id"]]["outcome"]["quorate"] is False
    assert client.get("/api/v1/reports", headers=accounts["SY"].headers).status_code == 403


def test_accession_cli(database_url: str, centre: Centre, governed: dict[str, Account]) -> None:
    from typer.testing import CliRunner

    from markaz.cli import build_app

    runner = CliRunner()
    app = build_app()

    def run(*args: str) -> Any:
        return runner.invoke(app, [*args, "--database-url", database_url])

    out = run(
        "accession", "apply", "KZ", "--name", "Candidate", "--contact", "c@example.org", "--reason", "join"
    )
    assert out.exit_code == 0, out.output
    vote_id = out.stdout.strip()
    for code in ("IQ", "RU", "SY", "IR"):
        out = run("accession", "vote", vote_id, "--member", code, "--choice", "approve")
        assert out.exit_code == 0, out.output
    assert "approved" in out.stdout
    assert "KZ" in run("accession", "list").stdout
    out = run("accession", "vote", vote_id, "--member", "IQ", "--choice", "nope")
    assert out.exit_code == 1 and out.stderr.startswith("error:")
    assert run("audit", "verify").exit_code == 0


def test_withdrawal(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account], governed: dict[str, Account]
) -> None:
    rid = client.post(
        "/api/v1/reports", headers=accounts["RU"].headers, json={"title": "from RU", "releasable_to": ["ALL"]}
    ).json()["id"]
    assert client.post("/api/v1/members/RU:withdraw", headers=governed["SY"].headers).status_code == 403
    assert client.post("/api/v1/members/RU:withdraw", headers=accounts["RU"].headers).status_code == 403
    r = client.post("/api/v1/members/RU:withdraw", headers=governed["RU"].headers)
    assert r.status_code == 200 and r.json()["tokens_revoked"] >= 2
    assert client.get("/api/v1/reports", headers=accounts["RU"].headers).status_code == 401
    report = client.get(f"/api/v1/reports/{rid}", headers=accounts["SY"].headers).json()
    assert report["originator"] == "RU"
    with centre.db.read() as conn:
        assert verify(conn).ok


def test_the_chair_closes_a_vote(client: ASGIClient, governed: dict[str, Account]) -> None:
    motion = _apply(client, governed["IQ"], "KZ").json()
    for code in ("IQ", "RU", "SY"):
        client.post(
            f"/api/v1/motions/{motion['id']}/votes",
            headers=governed[code].headers,
            json={"choice": "approve"},
        )
    assert (
        client.post(f"/api/v1/motions/{motion['id']}:close", headers=governed["RU"].headers).status_code
        == 403
    )
    closed = client.post(f"/api/v1/motions/{motion['id']}:close", headers=governed["IQ"].headers).json()
    assert closed["status"] == "approved" and closed["tally"]["approve"] == 3
    assert (
        client.post(f"/api/v1/motions/{motion['id']}:close", headers=governed["IQ"].headers).status_code
        == 409
    )


def test_suspending_the_chair_closes_its_term(client: ASGIClient, governed: dict[str, Account]) -> None:
    # IQ chairs; hand over so RU chairs, then suspend RU: its term closes today, SY chairs.
    client.post("/api/v1/governance/handover", headers=governed["IQ"].headers)
    assert client.get("/api/v1/governance/chair", headers=governed["SY"].headers).json()["member"] == "RU"
    deadline = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    # The chair opens votes, including one on itself; it does not vote on its own suspension.
    motion = client.post(
        "/api/v1/members/RU:suspend", headers=governed["RU"].headers, json={"deadline": deadline}
    )
    assert motion.status_code == 201
    for code in ("IQ", "SY", "IR"):
        r = client.post(
            f"/api/v1/motions/{motion.json()['id']}/votes",
            headers=governed[code].headers,
            json={"choice": "approve"},
        )
    assert r.json()["status"] == "approved"
    chair_now = client.get("/api/v1/governance/chair", headers=governed["SY"].headers).json()
    assert chair_now["member"] == "SY"
