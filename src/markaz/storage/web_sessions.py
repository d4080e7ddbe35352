"""Browser sessions, sign-in with temporary lock-out, and each user's interface preferences."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from markaz.domain.enums import MemberStatus, Role
from markaz.errors import InvalidInput, MarkazError
from markaz.storage import audit
from markaz.storage.canonical import principal_snapshot
from markaz.storage.dialects import StorageDialect
from markaz.storage.principals import Principal, check_password, find_principal, hash_password
from markaz.storage.schema import members, principals
from markaz.storage.schema_web import web_preferences, web_sessions, web_signin_failures

LANGUAGES = ("en", "ar", "fa", "ru")
CALENDARS = ("gregorian", "hijri", "solar_hijri")
# The calendar a new user sees first, by interface language.
DEFAULT_CALENDAR = {"en": "gregorian", "ru": "gregorian", "ar": "hijri", "fa": "solar_hijri"}
# A session's last use is written when it is older than this, so a busy page costs one small
# write a minute, not one per request; the idle timeout is exact to within this much.
TOUCH_EVERY = timedelta(minutes=1)


class SignInLocked(MarkazError):
    """Too many failed sign-ins for this user name; wait until the lock-out ends."""

    status = 429
    code = "locked"

    def __init__(self, until: datetime) -> None:
        super().__init__(
            f"too many failed sign-ins: this user name is locked until {until:%H:%M} UTC; try again then"
        )
        self.until = until


@dataclass(frozen=True)
class SignInPolicy:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class SignInOutcome:
    """What a sign-in attempt gave: a session, or a refusal (and whether it locked the name)."""

    session_id: str | None = None
    session: WebSession | None = None
    locked_until: datetime | None = None


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: who it is, its CSRF token and interface preferences."""

    principal: Principal
    csrf_token: str
    expires_at: datetime
    language: str
    calendar: str


@dataclass(frozen=True)
class SessionLookup:
    """What a cookie stands for: a live session, or why a known session no longer works.

    `ended` is "idle" (unused for longer than the idle timeout) or "expired" (past its
    lifetime) for a session that existed; `language` is its user's, for the sign-in page
    that follows. `touch` asks the caller to record this use (touch_session).
    """

    session: WebSession | None
    ended: str | None = None
    language: str = "en"
    touch: bool = False


def session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


_dummy_hash: list[str] = []


def _equalise_timing(password: str) -> None:
    # An unknown user name costs one argon2 verification too, so timing does not tell
    # whether a name exists.
    from argon2 import PasswordHasher
    from argon2.exceptions import VerificationError

    if not _dummy_hash:
        _dummy_hash.append(hash_password(secrets.token_hex(16)))
    with contextlib.suppress(VerificationError):
        PasswordHasher().verify(_dummy_hash[0], password)


def _audit_principal(conn: Connection, dialect: StorageDialect, action: str, principal_id: int) -> None:
    # Sign-in and sign-out are recorded against the principal, whose snapshot they leave
    # unchanged, so `markaz audit verify` needs nothing new to re-check them.
    row = conn.execute(select(principals).where(principals.c.id == principal_id)).mappings().one()
    audit.append(
        conn,
        dialect,
        row["username"],
        [audit.AuditEvent.of(action, "principal", str(principal_id), principal_snapshot(dict(row)))],
    )


def _register_failure(conn: Connection, key: str, policy: SignInPolicy, now: datetime) -> datetime | None:
    row = conn.execute(select(web_signin_failures).where(web_signin_failures.c.username == key)).first()
    if row is None or row.first_failed_at + policy.window <= now:
        conn.execute(delete(web_signin_failures).where(web_signin_failures.c.username == key))
        failures, first = 1, now
        conn.execute(
            insert(web_signin_failures).values(
                username=key, failures=1, first_failed_at=now, locked_until=None
            )
        )
    else:
        failures, first = row.failures + 1, row.first_failed_at
    locked_until = now + policy.lockout if failures >= policy.max_failures else None
    conn.execute(
        update(web_signin_failures)
        .where(web_signin_failures.c.username == key)
        .values(failures=failures, first_failed_at=first, locked_until=locked_until)
    )
    # Forget failures that can no longer count, so the table stays small.
    conn.execute(
        delete(web_signin_failures).where(web_signin_failures.c.first_failed_at < now - timedelta(days=1))
    )
    return locked_until


def sign_in(
    conn: Connection,
    dialect: StorageDialect,
    username: str,
    password: str,
    *,
    lifetime: timedelta,
    policy: SignInPolicy,
    idle: timedelta | None = None,
    now: datetime | None = None,
) -> SignInOutcome:
    """A new session for the right user name and password, or a refusal.

    Raises SignInLocked while the user name is locked out (even with the right password).
    A failure is written, not raised, so the caller's transaction commits it; the failure
    that reaches the limit comes back with `locked_until` set.
    """
    now = now or datetime.now(UTC)
    key = username.strip().lower()[:64]
    if not key or not password:
        raise InvalidInput("give a user name and a password", field="username" if not key else "password")
    row = conn.execute(
        select(web_signin_failures.c.locked_until).where(web_signin_failures.c.username == key)
    ).first()
    if row is not None and row.locked_until is not None and row.locked_until > now:
        raise SignInLocked(row.locked_until)
    stored = find_principal(conn, username.strip())
    principal = check_password(conn, username.strip(), password) if stored else None
    if stored is None:
        _equalise_timing(password)
    if principal is None or principal.member_status != MemberStatus.ACTIVE:
        return SignInOutcome(locked_until=_register_failure(conn, key, policy, now))
    conn.execute(delete(web_signin_failures).where(web_signin_failures.c.username == key))
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    conn.execute(
        insert(web_sessions).values(
            id_hash=session_hash(session_id),
            principal_id=principal.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + lifetime,
            last_seen_at=now,
        )
    )
    conn.execute(delete(web_sessions).where(web_sessions.c.expires_at <= now))
    if idle is not None:
        conn.execute(delete(web_sessions).where(web_sessions.c.last_seen_at <= now - idle))
    _audit_principal(conn, dialect, "principal.signin", principal.id)
    language, calendar = preferences(conn, principal.id)
    return SignInOutcome(session_id, WebSession(principal, csrf, now + lifetime, language, calendar))


def load_session(
    conn: Connection, session_id: str, now: datetime | None = None, idle: timedelta | None = None
) -> WebSession | None:
    """The live session this cookie value stands for, or None (unknown, expired, idle, user disabled)."""
    return find_session(conn, session_id, now=now, idle=idle).session


def find_session(
    conn: Connection, session_id: str, *, now: datetime | None = None, idle: timedelta | None = None
) -> SessionLookup:
    """Look a cookie up: the live session, or whether a known one ended (idle or expired)."""
    if not session_id or len(session_id) > 100:
        return SessionLookup(None)
    now = now or datetime.now(UTC)
    row = (
        conn.execute(
            select(
                web_sessions.c.csrf_token,
                web_sessions.c.expires_at,
                web_sessions.c.created_at,
                web_sessions.c.last_seen_at,
                principals.c.id,
                principals.c.username,
                principals.c.member_code,
                principals.c.role,
                principals.c.disabled_at,
                members.c.status.label("member_status"),
                web_preferences.c.language,
                web_preferences.c.calendar,
            )
            .join(principals, principals.c.id == web_sessions.c.principal_id)
            .join(members, members.c.code == principals.c.member_code)
            .outerjoin(web_preferences, web_preferences.c.principal_id == principals.c.id)
            .where(web_sessions.c.id_hash == session_hash(session_id))
        )
        .mappings()
        .first()
    )
    if row is None or row["disabled_at"] is not None:
        return SessionLookup(None)
    language = row["language"] or "en"
    if row["expires_at"] <= now:
        return SessionLookup(None, "expired", language)
    # Sessions opened before migration 0013 have no last use yet: their creation counts.
    last_seen = row["last_seen_at"] or row["created_at"]
    if idle is not None and last_seen + idle <= now:
        return SessionLookup(None, "idle", language)
    if row["member_status"] != MemberStatus.ACTIVE.value:
        # A suspended or withdrawn member's sessions stop at once, like its tokens.
        return SessionLookup(None)
    principal = Principal(
        row["id"], row["username"], row["member_code"], Role(row["role"]), MemberStatus(row["member_status"])
    )
    session = WebSession(
        principal,
        row["csrf_token"],
        row["expires_at"],
        language,
        row["calendar"] or DEFAULT_CALENDAR[language],
    )
    return SessionLookup(session, language=language, touch=last_seen + TOUCH_EVERY <= now)


def touch_session(conn: Connection, session_id: str, now: datetime | None = None) -> None:
    """Record a use of the session (callers do this when find_session asks, about once a minute).

    Not audited: it changes nothing anyone else sees, and an audit entry a minute per user
    would bury the entries that matter.
    """
    now = now or datetime.now(UTC)
    conn.execute(
        update(web_sessions)
        .where(web_sessions.c.id_hash == session_hash(session_id))
        .where(web_sessions.c.last_seen_at < now)
        .values(last_seen_at=now)
    )


def sign_out(conn: Connection, dialect: StorageDialect, session_id: str) -> bool:
    row = conn.execute(
        select(web_sessions.c.principal_id).where(web_sessions.c.id_hash == session_hash(session_id))
    ).first()
    if row is None:
        return False
    conn.execute(delete(web_sessions).where(web_sessions.c.id_hash == session_hash(session_id)))
    _audit_principal(conn, dialect, "principal.signout", row.principal_id)
    return True


def csrf_matches(session: WebSession, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(session.csrf_token.encode(), (given or "").encode())


def preferences(conn: Connection, principal_id: int) -> tuple[str, str]:
    row = conn.execute(
        select(web_preferences.c.language, web_preferences.c.calendar).where(
            web_preferences.c.principal_id == principal_id
        )
    ).first()
    if row is None:
        return "en", DEFAULT_CALENDAR["en"]
    return row.language, row.calendar


def set_preferences(
    conn: Connection,
    principal_id: int,
    *,
    language: str | None = None,
    calendar: str | None = None,
    now: datetime | None = None,
) -> tuple[str, str]:
    """Store the interface language and calendar; a new language brings its usual calendar
    unless a calendar is chosen too."""
    if language is not None and language not in LANGUAGES:
        raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}", field="language")
    if calendar is not None and calendar not in CALENDARS:
        raise InvalidInput(f"calendar must be one of {', '.join(CALENDARS)}", field="calendar")
    now = now or datetime.now(UTC)
    exists = conn.execute(
        select(web_preferences.c.language, web_preferences.c.calendar).where(
            web_preferences.c.principal_id == principal_id
        )
    ).first()
    old_language, old_calendar = (exists.language, exists.calendar) if exists else ("en", None)
    new_language = language or old_language
    if calendar is None:
        calendar = DEFAULT_CALENDAR[new_language] if language and language != old_language else old_calendar
    new_calendar = calendar or DEFAULT_CALENDAR[new_language]
    values: dict[str, Any] = {"language": new_language, "calendar": new_calendar, "updated_at": now}
    if exists:
        conn.execute(
            update(web_preferences).where(web_preferences.c.principal_id == principal_id).values(**values)
        )
    else:
        conn.execute(insert(web_preferences).values(principal_id=principal_id, **values))
    return new_language, new_calendar
