"""Sessions, sign-in lock-out and preferences in storage, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from markaz.centre import Centre
from markaz.errors import InvalidInput
from markaz.storage import audit
from markaz.storage.web_sessions import (
    SignInLocked,
    SignInOutcome,
    SignInPolicy,
    csrf_matches,
    load_session,
    set_preferences,
    sign_in,
    sign_out,
)
from tests.web.conftest import PASSWORD, add_person

POLICY = SignInPolicy(max_failures=3, window=timedelta(minutes=15), lockout=timedelta(minutes=15))
HOUR = timedelta(hours=1)


def attempt(centre: Centre, username: str, password: str, now: datetime | None = None) -> SignInOutcome:
    with centre.db.write() as conn:
        return sign_in(conn, centre.db.dialect, username, password, lifetime=HOUR, policy=POLICY, now=now)


def test_sign_in_creates_a_stored_session_and_sign_out_ends_it(centre: Centre) -> None:
    add_person(centre, "IQ", "iq.analyst")
    outcome = attempt(centre, "iq.analyst", PASSWORD)
    assert outcome.session_id and outcome.session
    assert outcome.session.principal.member == "IQ"
    with centre.db.read() as conn:
        loaded = load_session(conn, outcome.session_id)
        assert loaded is not None and loaded.principal.username == "iq.analyst"
        # Only the hash is stored: the cookie value itself is nowhere in the table.
        rows = conn.exec_driver_sql("SELECT id_hash FROM web_sessions").all()
        assert outcome.session_id not in {r[0] for r in rows}
    assert csrf_matches(loaded, loaded.csrf_token)
    assert not csrf_matches(loaded, "forged") and not csrf_matches(loaded, None)
    with centre.db.write() as conn:
        assert sign_out(conn, centre.db.dialect, outcome.session_id)
    with centre.db.read() as conn:
        assert load_session(conn, outcome.session_id) is None
        result = audit.verify(conn)
        assert result.ok, result.problem
        actions = [r[0] for r in conn.exec_driver_sql("SELECT action FROM audit_log ORDER BY seq").all()]
    assert actions[-2:] == ["principal.signin", "principal.signout"]


def test_wrong_password_and_unknown_user_give_no_session(centre: Centre) -> None:
    add_person(centre, "IQ", "iq.analyst")
    assert attempt(centre, "iq.analyst", "wrong").session is None
    assert attempt(centre, "nobody", PASSWORD).session is None
    with pytest.raises(InvalidInput):
        attempt(centre, "", "x")


def test_expired_session_is_refused(centre: Centre) -> None:
    add_person(centre, "IQ", "iq.analyst")
    then = datetime.now(UTC) - timedelta(hours=2)
    outcome = attempt(centre, "iq.analyst", PASSWORD, now=then)
    assert outcome.session_id
    with centre.db.read() as conn:
        assert load_session(conn, outcome.session_id) is None
        assert load_session(conn, "x" * 500) is None


def test_lock_out_after_repeated_failures_even_with_the_right_password(centre: Centre) -> None:
    add_person(centre, "IQ", "iq.analyst")
    now = datetime.now(UTC)
    assert attempt(centre, "iq.analyst", "bad", now).locked_until is None
    assert attempt(centre, "iq.analyst", "bad", now).locked_until is None
    third = attempt(centre, "iq.analyst", "bad", now)
    assert third.locked_until == now + POLICY.lockout
    with pytest.raises(SignInLocked):
        attempt(centre, "IQ.Analyst", PASSWORD, now + timedelta(minutes=1))
    # After the lock-out the right password works again, and clears the count.
    later = now + POLICY.lockout + timedelta(seconds=1)
    assert attempt(centre, "iq.analyst", PASSWORD, later).session is not None
    assert attempt(centre, "iq.analyst", "bad", later).locked_until is None


def test_failures_outside_the_window_do_not_add_up(centre: Centre) -> None:
    add_person(centre, "IQ", "iq.analyst")
    start = datetime.now(UTC)
    attempt(centre, "iq.analyst", "bad", start)
    attempt(centre, "iq.analyst", "bad", start)
    assert attempt(centre, "iq.analyst", "bad", start + timedelta(minutes=20)).locked_until is None


def test_unknown_user_names_lock_out_too(centre: Centre) -> None:
    # Otherwise the lock-out would tell which names exist.
    now = datetime.now(UTC)
    for _ in range(2):
        attempt(centre, "ghost", "bad", now)
    assert attempt(centre, "ghost", "bad", now).locked_until is not None


def test_preferences_are_remembered_per_user(centre: Centre) -> None:
    add_person(centre, "IQ", "iq.analyst")
    add_person(centre, "SY", "sy.analyst")
    iq = attempt(centre, "iq.analyst", PASSWORD).session
    sy = attempt(centre, "sy.analyst", PASSWORD).session
    assert iq and sy and iq.language == "en" and iq.calendar == "gregorian"
    with centre.db.write() as conn:
        # A new language brings its usual calendar unless one is chosen.
        assert set_preferences(conn, iq.principal.id, language="fa") == ("fa", "solar_hijri")
        assert set_preferences(conn, iq.principal.id, calendar="gregorian") == ("fa", "gregorian")
        assert set_preferences(conn, iq.principal.id, language="fa") == ("fa", "gregorian")
        with pytest.raises(InvalidInput):
            set_preferences(conn, iq.principal.id, language="xx")
        with pytest.raises(InvalidInput):
            set_preferences(conn, iq.principal.id, calendar="julian")
    again = attempt(centre, "iq.analyst", PASSWORD).session
    other = attempt(centre, "sy.analyst", PASSWORD).session
    assert again and (again.language, again.calendar) == ("fa", "gregorian")
    assert other and other.language == "en"
