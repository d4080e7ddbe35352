"""Sharing circles: consent, release to circles resolved at acceptance, audit, refusals."""

from __future__ import annotations

from typer.testing import CliRunner

from markaz.centre import Centre
from markaz.cli import build_app
from markaz.domain.enums import Role
from markaz.storage.audit import verify
from tests.asgi_client import ASGIClient
from tests.conftest import Account, add_account, seat_chair


def _admins(centre: Centre, accounts: dict[str, Account]) -> dict[str, Account]:
    return {code: add_account(centre, code, Role.MEMBER_ADMIN, new_member=False) for code in accounts}


def _report(client: ASGIClient, account: Account, releasable_to: list[str]) -> str:
    r = client.post(
        "/api/v1/reports",
        headers=account.headers,
        json={"title": "to a circle", "releasable_to": releasable_to},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_bilateral_circle_needs_consent_and_resolves_at_acceptance(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account]
) -> None:
    admins = _admins(centre, accounts)
    r = client.post(
        "/api/v1/circles",
        headers=admins["IQ"].headers,
        json={"name": "iq-sy", "description": "bilateral IQ-SY", "members": ["IQ", "SY"]},
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending"
    # Pending circles cannot be released to.
    refused = client.post(
        "/api/v1/reports",
        headers=accounts["IQ"].headers,
        json={"title": "x", "releasable_to": ["circle:iq-sy"]},
    )
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "releasable_to"
    # A member not in the circle cannot consent; an analyst may not either.
    assert client.post("/api/v1/circles/iq-sy:consent", headers=admins["RU"].headers).status_code == 404
    assert client.post("/api/v1/circles/iq-sy:consent", headers=accounts["SY"].headers).status_code == 403
    ok = client.post("/api/v1/circles/iq-sy:consent", headers=admins["SY"].headers)
    assert ok.status_code == 200 and ok.json()["status"] == "active"
    assert client.post("/api/v1/circles/iq-sy:consent", headers=admins["SY"].headers).status_code == 409

    rid = _report(client, accounts["IQ"], ["circle:iq-sy"])
    assert client.get(f"/api/v1/reports/{rid}", headers=accounts["SY"].headers).status_code == 200
    assert client.get(f"/api/v1/reports/{rid}", headers=accounts["RU"].headers).status_code == 404
    # Circles and members together.
    both = _report(client, accounts["IQ"], ["circle:iq-sy", "IR"])
    assert client.get(f"/api/v1/reports/{both}", headers=accounts["IR"].headers).status_code == 200
    # SY leaves: the old report keeps its recipients, new releases to the circle exclude SY.
    assert client.post("/api/v1/circles/iq-sy:leave", headers=admins["SY"].headers).status_code == 200
    assert client.get(f"/api/v1/reports/{rid}", headers=accounts["SY"].headers).status_code == 200
    later = _report(client, accounts["IQ"], ["circle:iq-sy"])
    assert client.get(f"/api/v1/reports/{later}", headers=accounts["SY"].headers).status_code == 404
    listed = client.get("/api/v1/circles", headers=accounts["RU"].headers).json()
    assert [c["name"] for c in listed] == ["iq-sy"]
    with centre.db.read() as conn:
        result = verify(conn)
    assert result.ok, result.problem


def test_circle_refusals(centre: Centre, client: ASGIClient, accounts: dict[str, Account]) -> None:
    admins = _admins(centre, accounts)
    h = admins["IQ"].headers
    cases = [
        ({"name": "ru-sy", "description": "not mine", "members": ["RU", "SY"]}, 403),
        ({"name": "Bad Name", "description": "x", "members": ["IQ", "SY"]}, 422),
        ({"name": "solo", "description": "x", "members": ["IQ"]}, 422),
        ({"name": "ghost", "description": "x", "members": ["IQ", "ZZ"]}, 422),
        ({"name": "dup", "description": "x", "members": ["IQ", "IQ"]}, 422),
        ({"name": "rtl", "description": "a\u202eb", "members": ["IQ", "SY"]}, 422),
    ]
    for body, status in cases:
        r = client.post("/api/v1/circles", headers=h, json=body)
        assert r.status_code == status, (body, r.text)
    assert client.post("/api/v1/circles", headers=accounts["IQ"].headers, json=cases[0][0]).status_code == 403
    first = {"name": "group", "description": "x", "members": ["IQ", "SY", "RU"]}
    created = client.post("/api/v1/circles", headers=h, json=first)
    assert created.status_code == 201 and created.json()["status"] == "active"  # not bilateral
    assert client.post("/api/v1/circles", headers=h, json=first).status_code == 409
    assert client.get("/api/v1/circles", headers=h).json()[0]["name"] == "group"


def test_circle_cli(database_url: str, centre: Centre, accounts: dict[str, Account]) -> None:
    runner = CliRunner()
    app = build_app()

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, [*args, "--database-url", database_url])
        return result.exit_code, result.stdout, result.stderr

    code, out, _ = run(
        "circle", "add", "iq-ir", "--member", "IQ", "--with", "IR", "--description", "IQ and IR"
    )
    assert code == 0 and "pending" in out
    code, out, _ = run("circle", "consent", "iq-ir", "--member", "IR")
    assert code == 0 and "active" in out
    code, out, _ = run("circle", "list")
    assert "iq-ir" in out and "IR" in out
    code, _, err = run("circle", "consent", "nope", "--member", "IR")
    assert code == 1 and err.startswith("error: there is no circle")
    code, out, _ = run("circle", "leave", "iq-ir", "--member", "IR")
    assert code == 0
    code, out, _ = run("audit", "verify")
    assert code == 0


def test_the_chair_may_create_any_circle(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account]
) -> None:
    admins = _admins(centre, accounts)
    body = {"name": "ru-sy", "description": "bilateral RU-SY", "members": ["RU", "SY"]}
    assert client.post("/api/v1/circles", headers=admins["IQ"].headers, json=body).status_code == 403
    seat_chair(centre)
    r = client.post("/api/v1/circles", headers=admins["IQ"].headers, json=body)
    assert r.status_code == 201 and r.json()["status"] == "pending"  # both RU and SY must consent
    client.post("/api/v1/circles/ru-sy:consent", headers=admins["RU"].headers)
    assert (
        client.post("/api/v1/circles/ru-sy:consent", headers=admins["SY"].headers).json()["status"]
        == "active"
    )
