"""In Chromium: a page left open past the idle time says so in its language, and keeps what was typed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from markaz.centre import Centre
from markaz.domain.enums import Role
from markaz.settings import Settings
from markaz.storage import principals
from markaz.storage.principals import add_principal, find_principal
from markaz.storage.schema_web import web_sessions
from markaz.storage.web_sessions import set_preferences
from tests.browser.conftest import PASSWORD, SECRET, OpenPage, Served, shot, sign_in
from tests.web.conftest import CHEAP_HASHER


def test_an_open_page_says_the_session_ended_in_its_language(
    open_page: OpenPage, served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    centre = Centre(Settings(database_url=served.url, secret_key=SECRET))
    monkeypatch.setattr(principals, "_hasher", CHEAP_HASHER)
    with centre.db.write() as conn:
        add_principal(
            conn,
            centre.db.dialect,
            username="iq.idle",
            member="IQ",
            role=Role.ANALYST,
            password=PASSWORD,
            actor="browser-test",
        )
        row = find_principal(conn, "iq.idle")
        assert row
        set_preferences(conn, row["id"], language="ru")
    page, console = open_page()
    sign_in(page, "iq.idle")
    page.goto("/reports/new")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    body = page.locator('textarea[name="body"]')
    body.fill("SYNTHETIC. Half-written report.")
    # The session's last use moves back past the idle time, as if the person had gone away.
    with centre.db.write() as conn:
        conn.execute(
            update(web_sessions)
            .where(web_sessions.c.principal_id == row["id"])
            .values(last_seen_at=datetime.now(UTC) - timedelta(hours=2))
        )
    centre.close()
    # The live stream stops at its next heartbeat (15 s); the page then asks why.
    note = page.locator("#session-ended")
    expect(note).to_have_text("ваш сеанс завершён после 30 минут бездействия; войдите снова", timeout=40_000)
    expect(note.locator("a")).to_have_attribute("href", "/signin?next=%2Freports%2Fnew")
    expect(body).to_have_value("SYNTHETIC. Half-written report.")
    shot(page, "session-ended-ru")
    # The stream's reconnection and the check were refused with 401, on purpose.
    assert [e for e in console.errors if "401" not in e] == []
    # Any page now leads to the sign-in page, with the note, in the person's language.
    page.goto("/reports")
    assert "/signin?next=%2Freports&ended=idle&lang=ru" in page.url
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("#signin-note")).to_have_text(
        "ваш сеанс завершён после 30 минут бездействия; войдите снова"
    )
    shot(page, "signin-session-ended-ru")
