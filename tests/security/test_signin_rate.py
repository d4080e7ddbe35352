"""Sign-in attempts per client address: one address cannot try a password against many names."""

from __future__ import annotations

import pytest
from tests.asgi_client import asgi_client
from tests.web.conftest import CHEAP_HASHER, PASSWORD, add_person, csrf_of

from markaz.app import create_app
from markaz.centre import Centre
from markaz.storage import principals


@pytest.fixture(autouse=True)
def _cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(principals, "_hasher", CHEAP_HASHER)


def test_password_spraying_from_one_address_is_refused(centre: Centre) -> None:
    add_person(centre, "IQ", "iq.analyst")
    settings = centre.settings.model_copy(update={"signin_attempts_per_minute": 5})
    with asgi_client(create_app(settings, centre)) as client:
        token = csrf_of(client.get("/signin").text)
        # Five different user names, one password each: no name reaches its own lock-out.
        answers = [
            client.post(
                "/signin", data={"csrf_token": token, "username": f"guess{i}", "password": "Spring2026!"}
            )
            for i in range(5)
        ]
        assert [a.status_code for a in answers] == [401] * 5
        refused = client.post(
            "/signin", data={"csrf_token": token, "username": "iq.analyst", "password": PASSWORD}
        )
        assert refused.status_code == 429, refused.text
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert "markaz_session" not in refused.headers.get("set-cookie", "")
    # With the limit off, the same address signs in (the lock-out per name is separate).
    fresh = centre.settings.model_copy(update={"signin_attempts_per_minute": 0})
    with asgi_client(create_app(fresh, centre)) as client:
        token = csrf_of(client.get("/signin").text)
        ok = client.post(
            "/signin", data={"csrf_token": token, "username": "iq.analyst", "password": PASSWORD}
        )
        assert ok.status_code == 303
