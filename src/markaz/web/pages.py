"""Pages of the browser interface: sign-in, sign-out, preferences, the map, the offline basemap."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from markaz.api import security as api_security
from markaz.centre import Centre
from markaz.errors import MarkazError
from markaz.storage.members import list_members
from markaz.storage.principals import Principal
from markaz.storage.web_sessions import (
    LANGUAGES,
    SignInLocked,
    WebSession,
    csrf_matches,
    set_preferences,
    sign_in,
    sign_out,
)
from markaz.web import auth, basemap, i18n, labels

router = APIRouter(include_in_schema=False)


class SignInRequired(Exception):
    """A page was asked for without a live session: go to the sign-in page, then come back."""

    def __init__(self, next_path: str, ended: str | None = None, language: str = "en") -> None:
        self.next_path = next_path
        self.ended = ended  # "idle" or "expired": the sign-in page says why, in the user's language
        self.language = language


def centre_of(request: Request) -> Centre:
    centre: Centre = request.app.state.centre
    return centre


def content_security_policy(centre: Centre) -> str:
    # No inline script and no inline style anywhere; images may also come from the
    # organisation's own tile server when one is configured. One policy for the API and the
    # pages: markaz.api.security builds it.
    return api_security.content_security_policy(centre.settings)


def secure(response: Response, centre: Centre) -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy(centre)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response


def browser_language(request: Request) -> str:
    """The language for someone not signed in: ?lang=, else the browser's first known one."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


async def require_session(request: Request) -> WebSession:
    found = await auth.session_lookup(request, centre_of(request))
    if found.session is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(path, found.ended, found.language)
    return found.session


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    session: WebSession | None,
    language: str | None = None,
    status: int = 200,
) -> Response:
    """Render a page with what every page needs: who is signed in, the language, the CSRF token."""
    centre = centre_of(request)
    lang = session.language if session else (language or "en")
    _ = i18n.translations(lang).gettext
    common = {
        "session": session,
        "calendar": session.calendar if session else "gregorian",
        "csrf_token": session.csrf_token if session else "",
        "path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "roles": labels.role_labels(_),
        "statuses": labels.status_labels(_),
        "calendars": labels.calendar_labels(_),
        "categories": labels.category_labels(_),
        "precedences": labels.precedence_labels(_),
        "opinion_names": labels.opinion_labels(_),
    }
    if isinstance(context.get("error"), str):
        # A refused form shows the exchange's sentence in the page's language (errors.po).
        context = {**context, "error": i18n.error_text(lang, context["error"])}
    html = i18n.render(lang, template, {**common, **context})
    return secure(HTMLResponse(html, status_code=status), centre)


def error_page(request: Request, session: WebSession | None, exc: MarkazError) -> Response:
    return page(request, "error.html", {"error": exc}, session=session, status=exc.status)


async def form_with_csrf(request: Request, session: WebSession) -> dict[str, str]:
    """The submitted form, after checking its CSRF token; only text fields are kept."""
    form = await request.form()
    fields: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            multi.setdefault(key, []).append(value)
            fields[key] = value
    if not csrf_matches(session, fields.get(auth.CSRF_FIELD)):
        raise CsrfRefused()
    request.state.form_lists = multi
    return fields


class CsrfRefused(MarkazError):
    status = 403
    code = "forbidden"

    def __init__(self) -> None:
        super().__init__("this form is out of date or came from another site; reload the page and try again")


def see_other(target: str) -> Response:
    """After a form: go to where the change shows (303, so a reload does not send it again)."""
    return RedirectResponse(target, status_code=303)


async def show(request: Request, render: Callable[[WebSession], Response]) -> Response:
    """A page for the signed-in user, built off the event loop; what is refused gets the error page."""
    session = await require_session(request)
    try:
        return await run_in_threadpool(render, session)
    except MarkazError as exc:
        return error_page(request, session, exc)


async def submit_form(
    request: Request,
    act: Callable[[WebSession, dict[str, str]], Response],
    refused: Callable[[WebSession, dict[str, str], MarkazError], Response] | None = None,
) -> Response:
    """A form sent from a page: its CSRF token checked, then `act` off the event loop.

    What `act` raises is shown by `refused` (the form again, with the sentence and what was
    typed) or, without it, by the error page; a form out of date always gets the error page.
    """
    session = await require_session(request)
    try:
        form = await form_with_csrf(request, session)
    except CsrfRefused as exc:
        return error_page(request, session, exc)
    try:
        return await run_in_threadpool(act, session, form)
    except MarkazError as exc:
        if refused is None:
            return error_page(request, session, exc)
        return await run_in_threadpool(refused, session, form, exc)


async def form_action(request: Request, change: Callable[[Principal], object], then: str) -> Response:
    """A button that changes one thing, then goes to `then`; a refusal gets the error page."""

    def act(session: WebSession, _form: dict[str, str]) -> Response:
        change(session.principal)
        return see_other(then)

    return await submit_form(request, act)


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _to_signin(_request: Request, exc: SignInRequired) -> Response:
        target = f"/signin?next={quote(exc.next_path, safe='')}"
        if exc.ended:
            target += f"&ended={exc.ended}&lang={exc.language}"
        return RedirectResponse(target, status_code=303)


# ---- sign-in, sign-out, preferences -------------------------------------------------------


def _signin_page(
    request: Request, language: str, *, error: str = "", username: str = "", status: int = 200
) -> Response:
    token, new = auth.signin_token(request)
    ended = request.query_params.get("ended")
    # Why the last session ended (sent here by require_session), in the user's language.
    note = (
        i18n.error_text(language, auth.ended_error(centre_of(request), ended).message)
        if ended in ("idle", "expired") and request.method == "GET"
        else ""
    )
    response = page(
        request,
        "signin.html",
        {
            "signin_token": token,
            "error": error,
            "note": note,
            "username": username,
            "next": auth.safe_next(request.query_params.get("next")),
        },
        session=None,
        language=language,
        status=status,
    )
    if new:
        response.set_cookie(
            auth.SIGNIN_COOKIE,
            token,
            max_age=3600,
            httponly=True,
            samesite="strict",
            secure=auth.secure_cookies(request, centre_of(request)),
            path="/signin",
        )
    return response


@router.get("/signin")
async def signin_form(request: Request) -> Response:
    if await auth.current_session(request, centre_of(request)) is not None:
        return RedirectResponse(auth.safe_next(request.query_params.get("next")), status_code=303)
    return _signin_page(request, browser_language(request))


@router.post("/signin")
async def signin_submit(request: Request) -> Response:
    centre = centre_of(request)
    language = browser_language(request)
    _ = i18n.translations(language).gettext
    form = await request.form()
    username = str(form.get("username", ""))[:64]
    password = str(form.get("password", ""))[:1024]
    if not auth.signin_token_matches(request, str(form.get(auth.CSRF_FIELD, ""))):
        return _signin_page(
            request, language, error=_("The sign-in form expired; please try again."), status=403
        )
    if not username.strip() or not password:
        return _signin_page(
            request, language, error=_("Give your user name and password."), username=username, status=422
        )
    # Attempts per client address, across processes (docs/security.md): the user-name lock-out
    # alone does not stop one address trying one password against many names.
    limiter = getattr(request.app.state, "signin_limiter", None)
    address = request.client.host if request.client else "unknown"
    decision = await run_in_threadpool(limiter.hit, f"signin:{address}") if limiter else None
    if decision is not None and not decision.allowed:
        refused = _signin_page(
            request,
            language,
            error=_("Too many sign-in attempts from this address; try again in a minute."),
            username=username,
            status=429,
        )
        refused.headers["Retry-After"] = str(decision.retry_after)
        return refused

    now = auth.now(request)

    def work() -> Any:
        with centre.db.write() as conn:
            return sign_in(
                conn,
                centre.db.dialect,
                username,
                password,
                lifetime=_hours(centre.settings.session_hours),
                policy=auth.policy(centre),
                idle=_minutes(centre.settings.session_idle_minutes),
                now=now,
            )

    try:
        outcome = await run_in_threadpool(work)
    except SignInLocked as exc:
        return _locked(request, language, exc.until, username)
    if outcome.locked_until is not None:
        return _locked(request, language, outcome.locked_until, username)
    if outcome.session is None:
        return _signin_page(
            request,
            language,
            error=_("The user name or password is wrong."),
            username=username,
            status=401,
        )
    target = auth.safe_next(str(form.get("next", "")) or None)
    response = RedirectResponse(target, status_code=303)
    auth.set_session_cookie(response, request, centre, outcome.session_id, outcome.session)
    response.delete_cookie(auth.SIGNIN_COOKIE, path="/signin")
    return response


def _hours(n: int) -> Any:
    from datetime import timedelta

    return timedelta(hours=n)


def _minutes(n: int) -> Any:
    from datetime import timedelta

    return timedelta(minutes=n)


def _locked(request: Request, language: str, until: Any, username: str) -> Response:
    _ = i18n.translations(language).gettext
    message = _("Too many failed sign-ins: this user name is locked until %(time)s UTC.") % {
        "time": until.strftime("%H:%M")
    }
    return _signin_page(request, language, error=message, username=username, status=429)


@router.post("/signout")
async def signout(request: Request) -> Response:
    centre = centre_of(request)
    session = await require_session(request)
    await form_with_csrf(request, session)
    cookie = request.cookies.get(auth.SESSION_COOKIE, "")

    def work() -> None:
        with centre.db.write() as conn:
            sign_out(conn, centre.db.dialect, cookie)

    await run_in_threadpool(work)
    response = RedirectResponse("/signin", status_code=303)
    auth.clear_session_cookie(response)
    return response


@router.post("/preferences")
async def preferences(request: Request) -> Response:
    centre = centre_of(request)

    def act(session: WebSession, form: dict[str, str]) -> Response:
        language = form.get("language") or None
        calendar = form.get("calendar") or None
        with centre.db.write() as conn:
            set_preferences(conn, session.principal.id, language=language, calendar=calendar)
        return see_other(auth.safe_next(form.get("next")))

    return await submit_form(request, act)


# ---- the picture ----------------------------------------------------------------------------


def member_names(centre: Centre, language: str) -> dict[str, str]:
    with centre.db.read() as conn:
        rows = list_members(conn)
    return {r["code"]: r["names"].get(language) or r["names"].get("en") or r["code"] for r in rows}


@router.get("/")
async def map_page(request: Request) -> Response:
    session = await require_session(request)
    centre = centre_of(request)
    _ = i18n.translations(session.language).gettext
    config = {
        "tile_url": centre.settings.tile_url,
        "tile_attribution": centre.settings.tile_attribution,
        "categories": labels.category_labels(_),
        "precedences": labels.precedence_labels(_),
        "strings": labels.map_strings(_),
        "language": session.language,
        "calendar": session.calendar,
        "members": await run_in_threadpool(member_names, centre, session.language),
    }
    return page(request, "map.html", {"config": config, "wide": True}, session=session)


@router.get("/basemap/countries.geojson")
async def countries() -> Response:
    body = await run_in_threadpool(basemap.countries_geojson)
    return Response(body, media_type="application/geo+json", headers={"Cache-Control": "max-age=86400"})


@router.get("/basemap/places.geojson")
async def places() -> Response:
    body = await run_in_threadpool(basemap.places_geojson)
    return Response(body, media_type="application/geo+json", headers={"Cache-Control": "max-age=86400"})
