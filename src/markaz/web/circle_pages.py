"""Sharing circles in the browser: the list, a new circle, consenting and leaving."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from markaz.collection.intake import parse_model
from markaz.errors import MarkazError
from markaz.governance import circles as circle_rules
from markaz.storage.members import list_members
from markaz.storage.web_sessions import WebSession
from markaz.web.pages import CsrfRefused, centre_of, error_page, form_with_csrf, page, require_session

router = APIRouter(include_in_schema=False)


def _circles_page(
    request: Request, session: WebSession, values: dict[str, Any], error: str, status: int
) -> Response:
    centre = centre_of(request)
    with centre.db.read() as conn:
        members = list_members(conn)
    names = {
        m["code"]: m["names"].get(session.language) or m["names"].get("en") or m["code"] for m in members
    }
    context = {
        "circles": circle_rules.list_all(centre),
        "names": names,
        "active_members": [m["code"] for m in members if m["status"] == "active"],
        # Which buttons are offered; the circle rules decide what is allowed.
        "manages": session.principal.role in circle_rules.GOVERNANCE_ROLES,
        "values": values,
        "error": error,
    }
    return page(request, "circles.html", context, session=session, status=status)


@router.get("/governance/circles")
async def circles_page(request: Request) -> Response:
    session = await require_session(request)
    defaults = {"members": [session.principal.member]}
    try:
        return await run_in_threadpool(_circles_page, request, session, defaults, "", 200)
    except MarkazError as exc:
        return error_page(request, session, exc)


@router.post("/governance/circles")
async def create_circle(request: Request) -> Response:
    session = await require_session(request)
    try:
        form = await form_with_csrf(request, session)
    except CsrfRefused as exc:
        return error_page(request, session, exc)
    chosen: list[str] = request.state.form_lists.get("members", [])
    body = {
        "name": form.get("name", "").strip(),
        "description": form.get("description", "").strip(),
        "members": chosen,
    }
    try:
        wanted = parse_model(circle_rules.CircleCreate, body)
        circle = await run_in_threadpool(circle_rules.create, centre_of(request), session.principal, wanted)
    except MarkazError as exc:
        return await run_in_threadpool(_circles_page, request, session, body, exc.message, exc.status)
    return RedirectResponse(f"/governance/circles#circle-{circle['name']}", status_code=303)


async def _membership(request: Request, name: str, change: Callable[..., Any]) -> Response:
    session = await require_session(request)
    try:
        await form_with_csrf(request, session)
        await run_in_threadpool(change, centre_of(request), session.principal, name)
    except MarkazError as exc:
        return error_page(request, session, exc)
    return RedirectResponse(f"/governance/circles#circle-{name}", status_code=303)


@router.post("/governance/circles/{name}/consent")
async def consent(request: Request, name: str) -> Response:
    """The caller's member consents to a circle it was named in."""
    return await _membership(request, name, circle_rules.consent)


@router.post("/governance/circles/{name}/leave")
async def leave(request: Request, name: str) -> Response:
    """The caller's member leaves a circle; past reports keep their recipients."""
    return await _membership(request, name, circle_rules.leave)
