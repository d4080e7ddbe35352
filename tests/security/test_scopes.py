"""Token scopes: read < write < admin, enforced in one dependency, on every route, on both engines."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update
from tests.asgi_client import ASGIClient, asgi_client
from tests.conftest import Account, add_account
from typer.testing import CliRunner

from markaz.app import create_app
from markaz.centre import Centre
from markaz.cli import build_app
from markaz.domain.enums import Role
from markaz.security.scopes import Scope, default_scope
from markaz.settings import Settings
from markaz.storage.audit import verify
from markaz.storage.members import add_member
from markaz.storage.principals import add_principal, create_token, hash_token
from markaz.storage.schema import api_tokens, reports

REPORT = {"title": "تجمع قرب الموصل", "releasable_to": ["ALL"]}
# Routes that change governance (circles, votes, the chair, membership): admin scope.
ADMIN_ROUTES = {
    ("POST", "/api/v1/circles"),
    ("POST", "/api/v1/circles/{name}:consent"),
    ("POST", "/api/v1/circles/{name}:leave"),
    ("POST", "/api/v1/governance/handover"),
    ("POST", "/api/v1/accessions"),
    ("POST", "/api/v1/accessions/{motion_id}/votes"),
    ("POST", "/api/v1/accessions/{motion_id}:credentials"),
    ("POST", "/api/v1/motions/{motion_id}:close"),
    ("POST", "/api/v1/motions/{motion_id}/votes"),
    ("POST", "/api/v1/members/{code}:suspend"),
    ("POST", "/api/v1/members/{code}:reinstate"),
    ("POST", "/api/v1/members/{code}:withdraw"),
    ("POST", "/api/v1/signing-keys"),
    ("POST", "/api/v1/signing-keys/{key_id}:revoke"),
}


def scoped_token(centre: Centre, member: str, role: Role, scope: Scope | None) -> dict[str, str]:
    return add_account(centre, member, role, new_member=False, scope=scope).headers


def _count(centre: Centre) -> int:
    with centre.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(reports)).scalar_one())


def _concrete(path: str) -> str:
    for name, value in (("{report_id}", "01J00000000000000000000000"), ("{code}", "IQ")):
        path = path.replace(name, value)
    return re.sub(r"\{[a-z_]+\}", "1", path)


def test_scope_order_and_defaults() -> None:
    assert Scope.ADMIN.allows(Scope.WRITE) and Scope.ADMIN.allows(Scope.READ)
    assert Scope.WRITE.allows(Scope.READ) and not Scope.WRITE.allows(Scope.ADMIN)
    assert not Scope.READ.allows(Scope.WRITE)
    assert default_scope(Role.AUDITOR) == Scope.READ
    assert default_scope(Role.ANALYST) == Scope.WRITE
    assert default_scope(Role.MEMBER_ADMIN) == Scope.ADMIN


def test_read_token_cannot_write(client: ASGIClient, centre: Centre, accounts: dict[str, Account]) -> None:
    read = scoped_token(centre, "IQ", Role.ANALYST, Scope.READ)
    assert client.get("/api/v1/reports", headers=read).status_code == 200
    refused = client.post("/api/v1/reports", headers=read, json=REPORT)
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "forbidden" and "write scope" in error["message"]
    assert _count(centre) == 0
    write = scoped_token(centre, "IQ", Role.ANALYST, Scope.WRITE)
    assert client.post("/api/v1/reports", headers=write, json=REPORT).status_code == 201
    assert _count(centre) == 1


def test_every_write_route_needs_write_and_governance_needs_admin(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account]
) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    read = scoped_token(centre, "IQ", Role.CENTRE_ADMIN, Scope.READ)
    write = scoped_token(centre, "IQ", Role.CENTRE_ADMIN, Scope.WRITE)
    checked = 0
    wrong = []
    for path, operations in spec["paths"].items():
        if not path.startswith(("/api/", "/taxii2/")):
            continue
        for method in operations:
            if method.upper() in ("GET", "HEAD", "OPTIONS"):
                continue
            url = _concrete(path)
            r = client.request(method.upper(), url, headers=read, json={})
            if r.status_code != 403 or "scope" not in r.json()["error"]["message"]:
                wrong.append((method, path, "read token not refused", r.status_code))
            r = client.request(method.upper(), url, headers=write, json={})
            message = r.json().get("error", {}).get("message", "")
            # Other write routes need write or admin, as their owners chose (docs/api.md).
            if (method.upper(), path) in ADMIN_ROUTES and (
                r.status_code != 403 or "admin scope" not in message
            ):
                wrong.append((method, path, "write token not refused", r.status_code))
            checked += 1
    assert not wrong
    assert checked >= len(ADMIN_ROUTES) + 6
    assert _count(centre) == 0


def test_admin_scope_is_still_limited_by_role(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account]
) -> None:
    analyst_admin_scope = scoped_token(centre, "IQ", Role.ANALYST, Scope.ADMIN)
    r = client.post(
        "/api/v1/circles",
        headers=analyst_admin_scope,
        json={"name": "iq-sy", "description": "x", "members": ["IQ", "SY"]},
    )
    assert r.status_code in (403, 422), r.text
    assert "scope" not in r.json()["error"]["message"]


def test_tokens_older_than_scopes_keep_their_role(client: ASGIClient, centre: Centre) -> None:
    with centre.db.write() as conn:
        add_member(conn, centre.db.dialect, code="IQ", names={"en": "Iraq"}, actor="test")
        row = add_principal(
            conn, centre.db.dialect, username="iq.old", member="IQ", role=Role.ANALYST, actor="test"
        )
        # A row written the way markaz wrote tokens before 0010: no scope given, the
        # column's server default applies.
        token = "mkz_" + "o" * 43
        conn.execute(
            insert(api_tokens).values(
                principal_id=row["id"],
                token_hash=hash_token(token),
                prefix=token[:12],
                created_at=row["created_at"],
                expires_at=row["created_at"] + timedelta(days=1),
            )
        )
        scope = conn.execute(select(api_tokens.c.scope)).scalar_one()
    assert scope == "admin"
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/reports", headers=headers, json=REPORT).status_code == 201


def test_scope_is_audited(centre: Centre) -> None:
    with centre.db.write() as conn:
        add_member(conn, centre.db.dialect, code="IQ", names={"en": "Iraq"}, actor="test")
    scoped_token(centre, "IQ", Role.ANALYST, Scope.READ)
    scoped_token(centre, "IQ", Role.MEMBER_ADMIN, None)
    with centre.db.read() as conn:
        assert verify(conn).ok
        assert sorted(conn.execute(select(api_tokens.c.scope)).scalars()) == ["admin", "read"]
    with centre.db.write() as conn:
        conn.execute(update(api_tokens).where(api_tokens.c.scope == "read").values(scope="admin"))
    with centre.db.read() as conn:
        result = verify(conn)
    assert not result.ok and "token" in (result.problem or "")


def test_cli_token_scope(database_url: str) -> None:
    cli = build_app()
    runner = CliRunner()
    url = ["--database-url", database_url]
    assert runner.invoke(cli, ["init", *url]).exit_code == 0
    assert runner.invoke(cli, ["member", "add", "IQ", "--name", "Iraq", *url]).exit_code == 0
    made = runner.invoke(cli, ["token", "create", "--member", "IQ", "--scope", "read", *url])
    assert made.exit_code == 0, made.output
    listed = runner.invoke(cli, ["token", "list", *url])
    assert " read " in listed.output
    bad = runner.invoke(cli, ["token", "create", "--member", "IQ", "--scope", "root", *url])
    assert bad.exit_code != 0
    app_centre = Centre(Settings(database_url=database_url))
    try:
        with asgi_client(create_app(app_centre.settings, app_centre)) as c:
            h = {"Authorization": f"Bearer {made.output.strip()}"}
            assert c.get("/api/v1/me", headers=h).status_code == 200
            assert c.post("/api/v1/reports", headers=h, json=REPORT).status_code == 403
    finally:
        app_centre.close()


@pytest.mark.parametrize("scope", list(Scope))
def test_default_scope_cli_matches_role(database_url: str, scope: Scope) -> None:
    role = {Scope.READ: "auditor", Scope.WRITE: "analyst", Scope.ADMIN: "member_admin"}[scope]
    cli = build_app()
    runner = CliRunner()
    url = ["--database-url", database_url]
    runner.invoke(cli, ["init", *url])
    runner.invoke(cli, ["member", "add", "IQ", "--name", "Iraq", *url])
    made = runner.invoke(cli, ["token", "create", "--member", "IQ", "--role", role, *url])
    assert made.exit_code == 0, made.output
    centre = Centre(Settings(database_url=database_url))
    try:
        with centre.db.read() as conn:
            stored = conn.execute(
                select(api_tokens.c.scope).where(api_tokens.c.token_hash == hash_token(made.output.strip()))
            ).scalar_one()
    finally:
        centre.close()
    assert stored == scope.value


def test_tokens_expire_are_revocable_and_stored_hashed(client: ASGIClient, centre: Centre) -> None:
    from markaz.storage.principals import revoke_token

    with centre.db.write() as conn:
        add_member(conn, centre.db.dialect, code="IQ", names={"en": "Iraq"}, actor="test")
        row = add_principal(
            conn, centre.db.dialect, username="iq.t", member="IQ", role=Role.ANALYST, actor="test"
        )
        short, _ = create_token(
            conn, centre.db.dialect, principal_id=row["id"], expires_in=timedelta(seconds=1), actor="test"
        )
        kept, kept_row = create_token(
            conn, centre.db.dialect, principal_id=row["id"], expires_in=timedelta(days=1), actor="test"
        )
        stored = [r.token_hash for r in conn.execute(select(api_tokens.c.token_hash))]
    # Only SHA-256 hashes are stored, never the token.
    assert short not in stored and kept not in stored and hash_token(kept) in stored
    h = {"Authorization": f"Bearer {kept}"}
    assert client.get("/api/v1/me", headers=h).status_code == 200
    import time

    time.sleep(1.1)
    expired = client.get("/api/v1/me", headers={"Authorization": f"Bearer {short}"})
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "unauthenticated"
    with centre.db.write() as conn:
        revoke_token(conn, centre.db.dialect, kept_row["id"], actor="test")
    assert client.get("/api/v1/me", headers=h).status_code == 401


def test_taxii_writes_need_the_write_scope(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account]
) -> None:
    from tests.interop.helpers import bearer, objects_url

    from markaz.dissemination.taxii import TAXII_MEDIA

    read = scoped_token(centre, "IQ", Role.ANALYST, Scope.READ)["Authorization"].removeprefix("Bearer ")
    url = objects_url("IQ", "submit")
    body = b'{"objects": []}'
    r = client.post(url, headers={**bearer(read), "Content-Type": TAXII_MEDIA}, content=body)
    assert r.status_code == 403 and "scope" in r.json()["description"], r.text
    own = objects_url("IQ", "submissions") + "report--00000000-0000-4000-8000-000000000000/"
    gone = client.request("DELETE", own, headers=bearer(read))
    assert gone.status_code == 403 and "scope" in gone.json()["description"], gone.text
    write = accounts["IQ"].token
    ok = client.post(url, headers={**bearer(write), "Content-Type": TAXII_MEDIA}, content=body)
    assert ok.status_code != 403, ok.text
    assert _count(centre) == 0
