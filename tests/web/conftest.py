"""Fixtures for the browser interface: people with passwords, a signed-in in-process client."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from markaz.app import create_app
from markaz.centre import Centre
from markaz.domain.enums import Role
from markaz.storage import principals
from markaz.storage.audit import verify
from markaz.storage.members import add_member
from markaz.storage.principals import add_principal
from tests.asgi_client import ASGIClient, asgi_client

PASSWORD = "correct horse battery staple"
# argon2 at its production cost takes most of a second per hash on the 2-core machine; the
# tests check behaviour, not the cost, so they hash and verify with the cheapest parameters.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def _cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(principals, "_hasher", CHEAP_HASHER)


def add_person(
    centre: Centre, member: str, username: str, role: Role = Role.ANALYST, *, new_member: bool = True
) -> None:
    with centre.db.write() as conn:
        if new_member:
            add_member(
                conn,
                centre.db.dialect,
                code=member,
                names={"en": f"Member {member}", "ar": f"عضو {member}"},
                actor="test",
            )
        add_principal(
            conn,
            centre.db.dialect,
            username=username,
            member=member,
            role=role,
            password=PASSWORD,
            actor="test",
        )


def chain_holds(centre: Centre) -> None:
    """`markaz audit verify` would pass: every write the pages made is in the hash chain."""
    with centre.db.read() as conn:
        assert verify(conn).ok


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def sign_in(client: ASGIClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    form = client.get("/signin")
    token = csrf_of(form.text)
    answer = client.post(
        "/signin", data={"csrf_token": token, "username": username, "password": password, "next": "/"}
    )
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/reports").text)


@pytest.fixture
def people(centre: Centre) -> dict[str, str]:
    """Members IQ, SY, RU with one analyst each, and IQ's member administrator."""
    add_person(centre, "IQ", "iq.analyst")
    add_person(centre, "SY", "sy.analyst")
    add_person(centre, "RU", "ru.analyst")
    add_person(centre, "IQ", "iq.admin", Role.MEMBER_ADMIN, new_member=False)
    return {"IQ": "iq.analyst", "SY": "sy.analyst", "RU": "ru.analyst", "IQ-admin": "iq.admin"}


@pytest.fixture
def browser_client(centre: Centre) -> Iterator[ASGIClient]:
    with asgi_client(create_app(centre.settings, centre)) as c:
        yield c
