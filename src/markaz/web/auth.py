"""Session cookies and CSRF for the browser: who is signed in, for pages and for API calls."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from markaz.centre import Centre
from markaz.errors import Forbidden, Unauthenticated
from markaz.storage.principals import Principal
from markaz.storage.web_sessions import (
    SessionLookup,
    SignInPolicy,
    WebSession,
    csrf_matches,
    find_session,
    touch_session,
)

SESSION_COOKIE = "markaz_session"
# Before sign-in there is no session: the sign-in form is protected by a double-submit
# token, a random cookie whose value the form must echo.
SIGNIN_COOKIE = "markaz_signin"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def policy(centre: Centre) -> SignInPolicy:
    s = centre.settings
    return SignInPolicy(
        max_failures=s.signin_max_failures,
        window=timedelta(minutes=s.signin_lockout_minutes),
        lockout=timedelta(minutes=s.signin_lockout_minutes),
    )


class SessionEnded(Unauthenticated):
    """The browser's session ended (unused too long, or past its lifetime): sign in again."""

    code = "session_ended"

    def __init__(self, minutes: int | None = None) -> None:
        super().__init__(
            f"your session ended after {minutes} minutes without use; sign in again"
            if minutes
            else "your session has ended; sign in again"
        )
        self.minutes = minutes


def ended_error(centre: Centre, reason: str) -> SessionEnded:
    return SessionEnded(centre.settings.session_idle_minutes if reason == "idle" else None)


def now(request: Request) -> datetime:
    """The time for session checks: the application's clock when one is set (app.state.clock)."""
    clock: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else datetime.now(UTC)


def secure_cookies(request: Request, centre: Centre) -> bool:
    # Secure whenever the browser speaks https to us, and always in production (where a
    # TLS-terminating proxy may speak plain HTTP to markaz).
    return request.url.scheme == "https" or centre.settings.environment == "production"


async def session_lookup(request: Request, centre: Centre) -> SessionLookup:
    """The session of this request, looked up once per request; its last use is recorded
    when more than a minute has passed (one small write a minute, not one per request)."""
    if hasattr(request.state, "web_session_lookup"):
        cached: SessionLookup = request.state.web_session_lookup
        return cached
    cookie = request.cookies.get(SESSION_COOKIE)
    found = SessionLookup(None)
    if cookie:
        at = now(request)
        idle = timedelta(minutes=centre.settings.session_idle_minutes)

        def lookup() -> SessionLookup:
            with centre.db.read() as conn:
                result = find_session(conn, cookie, now=at, idle=idle)
            if result.touch:
                with centre.db.write() as conn:
                    touch_session(conn, cookie, at)
            return result

        found = await run_in_threadpool(lookup)
    request.state.web_session_lookup = found
    return found


async def session_still_live(request: Request, centre: Centre) -> bool:
    """For a long answer (the live stream) authenticated by the session cookie: is the session
    still live (not idle, expired or signed out)? True for requests a token authenticated.

    Watching the stream is not a use of the session: it does not postpone the idle timeout.
    """
    found: SessionLookup | None = getattr(request.state, "web_session_lookup", None)
    if found is None or found.session is None:
        return True
    cookie = request.cookies.get(SESSION_COOKIE, "")
    at = now(request)
    idle = timedelta(minutes=centre.settings.session_idle_minutes)

    def check() -> bool:
        with centre.db.read() as conn:
            return find_session(conn, cookie, now=at, idle=idle).session is not None

    return await run_in_threadpool(check)


async def current_session(request: Request, centre: Centre) -> WebSession | None:
    """The signed-in session of this request, or None."""
    return (await session_lookup(request, centre)).session


async def session_principal(request: Request, centre: Centre) -> Principal | None:
    """For API calls from the browser: the session's principal, CSRF-checked for writes.

    A request that changes something must carry the session's CSRF token in the
    X-CSRF-Token header; another site can make a browser send the cookie, never the header.
    """
    found = await session_lookup(request, centre)
    session = found.session
    if session is None:
        if found.ended:
            # The page's scripts show this sentence (in the page's language) instead of a
            # request for an API token the person never had.
            raise ended_error(centre, found.ended)
        return None
    if request.method not in SAFE_METHODS and not csrf_matches(session, request.headers.get(CSRF_HEADER)):
        raise Forbidden(
            "a browser request that changes something must carry the page's CSRF token "
            "in the X-CSRF-Token header"
        )
    return session.principal


def set_session_cookie(
    response: Response, request: Request, centre: Centre, session_id: str, session: WebSession
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=centre.settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, centre),
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def signin_token(request: Request) -> tuple[str, bool]:
    """The double-submit token for the sign-in form, and whether the cookie must be set."""
    existing = request.cookies.get(SIGNIN_COOKIE)
    if existing and 20 <= len(existing) <= 100:
        return existing, False
    return secrets.token_urlsafe(32), True


def signin_token_matches(request: Request, given: str | None) -> bool:
    cookie = request.cookies.get(SIGNIN_COOKIE)
    return bool(cookie and given) and hmac.compare_digest(str(cookie).encode(), str(given).encode())


def safe_next(value: str | None) -> str:
    """Only a path on this site may follow sign-in (no open redirect)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"
