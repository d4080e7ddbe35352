"""Session cookies and CSRF for the browser: who is signed in, for pages and for API calls."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from markaz.centre import Centre
from markaz.errors import Forbidden
from markaz.storage.principals import Principal
from markaz.storage.web_sessions import SignInPolicy, WebSession, csrf_matches, load_session

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


def secure_cookies(request: Request, centre: Centre) -> bool:
    # Secure whenever the browser speaks https to us, and always in production (where a
    # TLS-terminating proxy may speak plain HTTP to markaz).
    return request.url.scheme == "https" or centre.settings.environment == "production"


async def current_session(request: Request, centre: Centre) -> WebSession | None:
    """The signed-in session of this request (looked up once per request), or None."""
    if hasattr(request.state, "web_session"):
        cached: WebSession | None = request.state.web_session
        return cached
    cookie = request.cookies.get(SESSION_COOKIE)
    found: WebSession | None = None
    if cookie:

        def lookup() -> WebSession | None:
            with centre.db.read() as conn:
                return load_session(conn, cookie)

        found = await run_in_threadpool(lookup)
    request.state.web_session = found
    return found


async def session_principal(request: Request, centre: Centre) -> Principal | None:
    """For API calls from the browser: the session's principal, CSRF-checked for writes.

    A request that changes something must carry the session's CSRF token in the
    X-CSRF-Token header; another site can make a browser send the cookie, never the header.
    """
    session = await current_session(request, centre)
    if session is None:
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
