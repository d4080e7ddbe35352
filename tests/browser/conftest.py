"""A real `markaz serve` on SQLite with a small demo, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from markaz.centre import Centre
from markaz.demo import load_demo
from markaz.domain.enums import MemberStatus, Role
from markaz.governance import votes
from markaz.processing.gazetteer_cache import load_gazetteer
from markaz.settings import Settings
from markaz.storage import principals
from markaz.storage.migrate import upgrade
from markaz.storage.principals import Principal, add_principal, find_principal
from tests.reliability._processes import free_port, serve
from tests.web.conftest import CHEAP_HASHER

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "browser-test-password"
SECRET = "browser-test-secret-" + "y" * 32

if not CHROMIUM.exists():
    pytest.skip("Debian's Chromium is not installed: run `make chromium-bin`", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright  # noqa: E402


@dataclass
class Served:
    base: str
    url: str
    env: dict[str, str]


def add_people(centre: Centre) -> None:
    """An analyst (`xx.web`) and a member administrator (`xx.admin`) per demo member."""
    with centre.db.write() as conn:
        for code in ("IQ", "RU", "SY", "IR"):
            for suffix, role in (("web", Role.ANALYST), ("admin", Role.MEMBER_ADMIN)):
                add_principal(
                    conn,
                    centre.db.dialect,
                    username=f"{code.lower()}.{suffix}",
                    member=code,
                    role=role,
                    password=PASSWORD,
                    actor="browser-test",
                )


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`markaz serve` (with its worker) on a demo centre: IQ, RU, SY, IR, 40 synthetic reports,
    an analyst and a member administrator per member, all with PASSWORD."""
    tmp = tmp_path_factory.mktemp("served")
    url = f"sqlite:///{tmp}/markaz.db"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MARKAZ_SECRET_KEY": SECRET}
    port = free_port()
    server = Served(f"http://127.0.0.1:{port}", url, env)
    # The centre is prepared in this process (fast); the server is a separate process.
    centre = Centre(Settings(database_url=url, secret_key=SECRET))
    upgrade(centre.db)
    with pytest.MonkeyPatch.context() as patch:
        # Cheap argon2 parameters: the hash carries them, so the server verifies cheaply too.
        patch.setattr(principals, "_hasher", CHEAP_HASHER)
        load_demo(centre, reports=40)
        add_people(centre)
    # An accession vote is open (the demo's chair is IQ), for the vote test.
    with centre.db.read() as conn:
        chair_admin = find_principal(conn, "iq.admin")
    assert chair_admin
    votes.open_accession(
        centre,
        Principal(chair_admin["id"], "iq.admin", "IQ", Role.MEMBER_ADMIN, MemberStatus.ACTIVE),
        votes.AccessionRequest(
            code="KZ",
            names={"en": "Candidate K (synthetic)", "ar": "المرشح ك (تجريبي)"},
            contact="liaison office (synthetic)",
            reason="Synthetic application for the browser tests.",
            deadline=datetime.now(UTC) + timedelta(days=7),
        ),
    )
    centre.close()
    # The compiled gazetteer is cached on disk (the server inherits this environment): build
    # it here when absent, so the server loads it in under a second instead of building it for
    # 10-15 s while the first test waits on a report's submission.
    load_gazetteer()
    running = serve(url, tmp / "serve.log", port=port, worker=True, timeout=30, env=env)
    try:
        yield server
    finally:
        running.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        # Never a downloaded browser: Debian's Chromium, as installed by `make chromium-bin`.
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True)
        yield b
        b.close()


class Console:
    """Errors the page's scripts raised or logged; a page must have none."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", self._message)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _message(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} at {message.location}")


OpenPage = Callable[[], tuple[Page, Console]]


@pytest.fixture
def open_page(browser: Browser, served: Served) -> Iterator[OpenPage]:
    """A new browser context (its own cookies) per call; all closed when the test ends, which
    also closes their live streams."""
    contexts: list[BrowserContext] = []

    def make() -> tuple[Page, Console]:
        context = browser.new_context(
            base_url=served.base, viewport={"width": 1280, "height": 800}, locale="en-GB"
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page, Console(page)

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/")
    assert "/signin" in page.url
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda u: "/signin" not in u)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
