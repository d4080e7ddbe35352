"""Fixtures: a real database per test on SQLite and on PostgreSQL, a Centre, an API client."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, settings

from markaz.app import create_app
from markaz.centre import Centre
from markaz.domain.enums import MemberStatus, Role
from markaz.governance import chair
from markaz.security.scopes import Scope
from markaz.settings import Settings
from markaz.storage.database import Database
from markaz.storage.members import add_member
from markaz.storage.migrate import upgrade
from markaz.storage.principals import Principal, add_principal, create_token
from tests.asgi_client import ASGIClient, asgi_client
from tests.pgcluster import PostgresCluster

settings.register_profile(
    "markaz", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.load_profile("markaz")

SECRET = "test-secret-" + "x" * 32


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """URL of a PostgreSQL server: MARKAZ_TEST_POSTGRES_URL, or a throwaway cluster."""
    given = os.environ.get("MARKAZ_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    cluster = PostgresCluster()
    cluster.start()
    try:
        yield cluster.url()
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return {}


def _admin_url(server: str) -> str:
    return server.replace("postgresql+psycopg://", "postgresql://")


def _pg_template(server: str, cache: dict[str, object]) -> str:
    if "pg" not in cache:
        name = f"markaz_tpl_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(_admin_url(server), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        db = Database(_with_database(server, name))
        upgrade(db)
        db.dispose()
        cache["pg"] = name
    return str(cache["pg"])


def _with_database(server: str, name: str) -> str:
    base, _, _ = server.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    _templates: dict[str, object],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """A fresh, migrated database for this test, on each of the two engines."""
    if request.param == "sqlite":
        if "sqlite" not in _templates:
            template = tmp_path_factory.mktemp("tpl") / "template.db"
            db = Database(f"sqlite:///{template}")
            upgrade(db)
            db.dispose()
            _templates["sqlite"] = template
        target = tmp_path / "markaz.db"
        shutil.copy(str(_templates["sqlite"]), target)
        yield f"sqlite:///{target}"
        return
    server = request.getfixturevalue("postgres_server")
    pg_template = _pg_template(server, _templates)
    name = f"markaz_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_url(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    try:
        yield _with_database(server, name)
    finally:
        with psycopg.connect(_admin_url(server), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def centre(database_url: str) -> Iterator[Centre]:
    c = Centre(Settings(database_url=database_url, secret_key=SECRET))
    yield c
    c.close()


@dataclass
class Account:
    member: str
    token: str
    principal: Principal

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def add_account(
    centre: Centre,
    member: str,
    role: Role = Role.ANALYST,
    *,
    new_member: bool = True,
    scope: Scope | None = None,
) -> Account:
    """A system principal of `member` (added first when `new_member`) with a one-day token of `scope`."""
    with centre.db.write() as conn:
        if new_member:
            add_member(conn, centre.db.dialect, code=member, names={"en": f"Member {member}"}, actor="test")
        row = add_principal(
            conn,
            centre.db.dialect,
            username=f"{member.lower()}.{role.value}.{uuid.uuid4().hex[:6]}",
            member=member,
            role=role,
            kind="system",
            actor="test",
        )
        token, _ = create_token(
            conn,
            centre.db.dialect,
            principal_id=row["id"],
            expires_in=timedelta(days=1),
            actor="test",
            scope=scope,
        )
    return Account(member, token, Principal(row["id"], row["username"], member, role, MemberStatus.ACTIVE))


def seat_chair(centre: Centre, first: str = "IQ") -> None:
    """The chair's rotation, from today in three-month terms, with `first` in the chair."""
    with centre.db.write() as conn:
        chair.setup(
            conn,
            centre.db.dialect,
            first_chair=first,
            starts_on=datetime.now(UTC).date(),
            months=3,
            actor="test",
        )


@pytest.fixture
def accounts(centre: Centre) -> dict[str, Account]:
    """Four members, IQ RU SY IR, each with an analyst token."""
    return {code: add_account(centre, code) for code in ("IQ", "RU", "SY", "IR")}


@pytest.fixture
def client(centre: Centre) -> Iterator[ASGIClient]:
    """An in-process HTTP client for the centre's API (the real ASGI app, no server)."""
    with asgi_client(create_app(centre.settings, centre)) as c:
        yield c
