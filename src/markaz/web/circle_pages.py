"""Sharing circles in the browser: the list, a new circle, consenting and leaving."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from markaz.collection.intake import parse_model
from markaz.errors import MarkazError
from markaz.governance import circles as circle_rules
from markaz.storage.members import list_members
from markaz.storage.web_sessions import WebSession
from markaz.web.pages import centre_of, form_action, page, see_other, show, submit_form

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
    def render(session: WebSession) -> Response:
        return _circles_page(request, session, {"members": [session.principal.member]}, "", 200)

    return await show(request, render)


def _circle_of(request: Request, form: dict[str, str]) -> dict[str, Any]:
    chosen: list[str] = request.state.form_lists.get("members", [])
    return {
        "name": form.get("name", "").strip(),
        "description": form.get("description", "").strip(),
        "members": chosen,
    }


@router.post("/governance/circles")
async def create_circle(request: Request) -> Response:
    def act(session: WebSession, form: dict[str, str]) -> Response:
        wanted = parse_model(circle_rules.CircleCreate, _circle_of(request, form))
        circle = circle_rules.create(centre_of(request), session.principal, wanted)
        return see_other(f"/governance/circles#circle-{circle['name']}")

    def refused(session: WebSession, form: dict[str, str], exc: MarkazError) -> Response:
        return _circles_page(request, session, _circle_of(request, form), exc.message, exc.status)

    return await submit_form(request, act, refused)


async def _membership(request: Request, name: str, change: Callable[..., Any]) -> Response:
    centre = centre_of(request)
    return await form_action(
        request, lambda principal: change(centre, principal, name), f"/governance/circles#circle-{name}"
    )


@router.post("/governance/circles/{name}/consent")
async def consent(request: Request, name: str) -> Response:
    """The caller's member consents to a circle it was named in."""
    return await _membership(request, name, circle_rules.consent)


@router.post("/governance/circles/{name}/leave")
async def leave(request: Request, name: str) -> Response:
    """The caller's member leaves a circle; past reports keep their recipients."""
    return await _membership(request, name, circle_rules.leave)
