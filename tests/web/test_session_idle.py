"""The idle timeout of browser sessions, with a controlled clock, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from markaz.app import create_app
from markaz.centre import Centre
from markaz.storage.web_sessions import (
    TOUCH_EVERY,
    SignInOutcome,
    SignInPolicy,
    find_session,
    load_session,
    sign_in,
    touch_session,
)
from tests.asgi_client import ASGIClient, asgi_client
from tests.web.conftest import PASSWORD, add_person
from tests.web.conftest import sign_in as sign_in_form

IDLE = timedelta(minutes=30)
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _sign_in(centre: Centre, at: datetime) -> SignInOutcome:
    with centre.db.write() as conn:
        return sign_in(
            conn,
            centre.db.dialect,
            "iq.analyst",
            PASSWORD,
            lifetime=timedelta(hours=12),
            policy=SignInPolicy(),
            idle=IDLE,
            now=at,
        )


def _open(centre: Centre, at: datetime = T0) -> str:
    add_person(centre, "IQ", "iq.analyst")
    outcome = _sign_in(centre, at)
    assert outcome.session_id
    return outcome.session_id


def _last_seen(centre: Centre) -> datetime:
    with centre.db.read() as conn:
        value: datetime = conn.exec_driver_sql("SELECT last_seen_at FROM web_sessions").scalar_one()
    # SQLite hands back the stored text through the raw driver; compare as datetimes.
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def test_a_session_unused_for_longer_than_the_idle_time_ends(centre: Centre) -> None:
    session_id = _open(centre)
    with centre.db.read() as conn:
        live = find_session(conn, session_id, now=T0 + IDLE - timedelta(seconds=1), idle=IDLE)
        ended = find_session(conn, session_id, now=T0 + IDLE, idle=IDLE)
    assert live.session is not None and live.touch
    assert ended.session is None and ended.ended == "idle" and ended.language == "en"
    # Without an idle limit only the lifetime counts; past it the session has "expired".
    with centre.db.read() as conn:
        assert load_session(conn, session_id, now=T0 + 2 * IDLE) is not None
        assert find_session(conn, session_id, now=T0 + timedelta(hours=12), idle=IDLE).ended == "expired"
        assert find_session(conn, "unknown-cookie", now=T0, idle=IDLE).ended is None


def test_use_is_recorded_at_most_once_a_minute_and_keeps_the_session_alive(centre: Centre) -> None:
    session_id = _open(centre)
    with centre.db.read() as conn:
        assert not find_session(conn, session_id, now=T0 + TOUCH_EVERY / 2, idle=IDLE).touch
    # Each use less than the idle time after the last: alive well past T0 + IDLE.
    steps = [T0 + TOUCH_EVERY * k for k in range(1, 4)] + [T0 + timedelta(minutes=m) for m in (32, 61)]
    for at in steps:
        with centre.db.read() as conn:
            found = find_session(conn, session_id, now=at, idle=IDLE)
        assert found.session is not None and found.touch
        with centre.db.write() as conn:
            touch_session(conn, session_id, at)
        assert _last_seen(centre) == at
        # A second process that saw the older time does not move it back.
        with centre.db.write() as conn:
            touch_session(conn, session_id, at - timedelta(seconds=30))
        assert _last_seen(centre) == at


def test_signing_in_clears_idle_sessions(centre: Centre) -> None:
    session_id = _open(centre)
    later = T0 + IDLE + timedelta(minutes=1)
    _sign_in(centre, later)
    with centre.db.read() as conn:
        assert find_session(conn, session_id, now=later, idle=IDLE).ended is None  # gone, not just idle
        assert conn.exec_driver_sql("SELECT count(*) FROM web_sessions").scalar_one() == 1


class Clock:
    """The application's clock: real time plus `shift`, which grows by `step` at each reading."""

    def __init__(self) -> None:
        self.shift = timedelta(0)
        self.step = timedelta(0)

    def __call__(self) -> datetime:
        at = datetime.now(UTC) + self.shift
        self.shift += self.step
        return at


@pytest.fixture
def clocked(centre: Centre) -> Iterator[tuple[ASGIClient, Clock]]:
    assert centre.settings.session_idle_minutes == 30  # the default
    app = create_app(centre.settings, centre)
    clock = Clock()
    app.state.clock = clock
    with asgi_client(app) as client:
        yield client, clock


def test_an_idle_session_sends_the_person_to_sign_in_with_a_note_in_their_language(
    centre: Centre, clocked: tuple[ASGIClient, Clock]
) -> None:
    client, clock = clocked
    add_person(centre, "IQ", "iq.analyst")
    csrf = sign_in_form(client, "iq.analyst")
    assert client.post("/preferences", data={"csrf_token": csrf, "language": "fa"}).status_code == 303
    clock.shift = timedelta(minutes=29)
    assert client.get("/reports").status_code == 200  # used: the clock of idleness restarts
    clock.shift = timedelta(minutes=29 + 29)
    assert client.get("/reports").status_code == 200
    clock.shift = timedelta(minutes=29 + 29 + 31)
    away = client.get("/reports?page=2")
    assert away.status_code == 303
    target = urlsplit(away.headers["location"])
    query = parse_qs(target.query)
    assert target.path == "/signin" and query == {
        "next": ["/reports?page=2"],
        "ended": ["idle"],
        "lang": ["fa"],
    }
    signin = client.get(away.headers["location"])
    assert signin.status_code == 200 and 'dir="rtl"' in signin.text
    assert "نشست شما پس از 30 دقیقه بی‌استفاده ماندن پایان یافت" in signin.text
    # The page's scripts get the same sentence from the API, in the language they ask for.
    api = client.get("/api/v1/me", headers={"Accept-Language": "ru"})
    assert api.status_code == 401
    assert api.json()["error"] == {
        "code": "session_ended",
        "message": "ваш сеанс завершён после 30 минут бездействия; войдите снова",
    }
    english = client.get("/api/v1/me")
    assert (
        english.json()["error"]["message"] == "your session ended after 30 minutes without use; sign in again"
    )
    # Signing in again opens a new session.
    sign_in_form(client, "iq.analyst")
    assert client.get("/reports").status_code == 200


def test_migration_0013_adds_and_removes_the_last_use(centre: Centre) -> None:
    import importlib.util

    from alembic.migration import MigrationContext
    from alembic.operations import Operations
    from sqlalchemy import inspect

    from markaz.storage import migrate

    path = migrate._MIGRATIONS / "versions" / "0013_web_sessions.py"
    spec = importlib.util.spec_from_file_location("markaz_migration_0013", path)
    assert spec and spec.loader
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    session_id = _open(centre)

    def columns() -> set[str]:
        with centre.db.engine.connect() as conn:
            return {c["name"] for c in inspect(conn).get_columns("web_sessions")}

    def run(step: str) -> None:
        with centre.db.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
            getattr(migration, step)()

    assert "last_seen_at" in columns()
    run("downgrade")
    assert "last_seen_at" not in columns()
    run("upgrade")
    assert "last_seen_at" in columns()
    # A session open before the upgrade counts as last used when it was created.
    assert _last_seen(centre) == T0
    with centre.db.read() as conn:
        assert find_session(conn, session_id, now=T0 + IDLE - timedelta(seconds=1), idle=IDLE).session


def test_the_live_stream_of_a_session_stops_when_the_session_ends(
    centre: Centre, clocked: tuple[ASGIClient, Clock], monkeypatch: pytest.MonkeyPatch
) -> None:
    from markaz.api import inbox

    monkeypatch.setattr(inbox, "HEARTBEAT_SECONDS", 0.01)
    client, clock = clocked
    add_person(centre, "IQ", "iq.analyst")
    sign_in_form(client, "iq.analyst")
    # A live session: the stream runs its whole time with several heartbeats (one a poll,
    # 250 ms; three seconds leave room for a busy machine: one second once gave only one).
    steady = client.get("/api/v1/stream?timeout=3")
    assert steady.status_code == 200 and steady.text.count(": keep-alive") >= 2
    # Opened at +0, first heartbeat at +20 (live), second at +40: idle, the stream ends.
    clock.step = timedelta(minutes=20)
    ended = client.get("/api/v1/stream?timeout=30")
    assert ended.status_code == 200 and ended.text.count(": keep-alive") == 1


def test_many_requests_within_a_minute_record_the_use_once(
    centre: Centre, clocked: tuple[ASGIClient, Clock]
) -> None:
    from sqlalchemy import event

    client, clock = clocked
    add_person(centre, "IQ", "iq.analyst")
    sign_in_form(client, "iq.analyst")
    writes: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("UPDATE WEB_SESSIONS"):
            writes.append(statement)

    event.listen(centre.db.engine, "before_cursor_execute", seen)
    try:
        clock.shift = timedelta(minutes=2)
        for _ in range(10):
            assert client.get("/reports").status_code == 200
            assert client.get("/api/v1/me").status_code == 200
        assert len(writes) == 1
        clock.shift = timedelta(minutes=3, seconds=30)
        assert client.get("/reports").status_code == 200
        assert len(writes) == 2
    finally:
        event.remove(centre.db.engine, "before_cursor_execute", seen)
