"""A member's webhook endpoints and subscriptions in the browser: listed, added, removed."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from markaz.dissemination import channels
from markaz.errors import MarkazError
from markaz.storage.web_sessions import WebSession
from markaz.web.pages import centre_of, form_action, page, see_other, show, submit_form

router = APIRouter(include_in_schema=False)
BBOX_FIELDS = ("min_lon", "min_lat", "max_lon", "max_lat")
PRECEDENCES = ("FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE")


def _channels_page(
    request: Request,
    session: WebSession,
    *,
    values: dict[str, Any] | None = None,
    error: str = "",
    error_at: str = "",
    new_secret: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    centre = centre_of(request)
    context = {
        "endpoints": channels.list_endpoints(centre, session.principal),
        "subscriptions": channels.list_subscriptions(centre, session.principal),
        # Which forms are offered; the dissemination functions decide what is allowed.
        "manages": session.principal.role in channels.ADMIN_ROLES,
        "values": values or {},
        "error": error,
        "error_at": error_at,
        "new_secret": new_secret,
        "precedence_order": PRECEDENCES,
    }
    return page(request, "channels.html", context, session=session, status=status)


@router.get("/channels")
async def channels_page(request: Request) -> Response:
    return await show(request, lambda session: _channels_page(request, session))


@router.post("/channels/endpoints")
async def add_endpoint(request: Request) -> Response:
    """Register a webhook endpoint; its secret is shown on this answer only, as by the API."""

    def act(session: WebSession, form: dict[str, str]) -> Response:
        body: dict[str, Any] = {"url": form.get("url", "")}
        if form.get("secret", "").strip():
            body["secret"] = form["secret"].strip()
        created = channels.create_endpoint(centre_of(request), session.principal, body)
        return _channels_page(request, session, new_secret=created)

    def refused(session: WebSession, form: dict[str, str], exc: MarkazError) -> Response:
        values = {"url": form.get("url", "")}
        return _channels_page(
            request, session, values=values, error=exc.message, error_at="endpoint", status=exc.status
        )

    return await submit_form(request, act, refused)


def _number_or_text(value: str) -> float | str:
    # What cannot be read as a number goes to the dissemination layer as typed, which
    # refuses it with the API's own sentence.
    try:
        return float(value)
    except ValueError:
        return value


def subscription_from_form(form: dict[str, str], lists: dict[str, list[str]]) -> dict[str, Any]:
    """The API's subscription document from the form; dissemination.channels validates it."""
    body: dict[str, Any] = {"name": form.get("name", "")}
    corners = [form.get(f, "").strip() for f in BBOX_FIELDS]
    if any(corners):
        body["bbox"] = [_number_or_text(v) for v in corners if v]
    polygon = form.get("polygon", "").strip()
    if polygon:
        try:
            body["polygon"] = orjson.loads(polygon)
        except orjson.JSONDecodeError:
            body["polygon"] = polygon
    if lists.get("categories"):
        body["categories"] = lists["categories"]
    if form.get("min_precedence"):
        body["min_precedence"] = form["min_precedence"]
    return body


@router.post("/channels/subscriptions")
async def add_subscription(request: Request) -> Response:
    def act(session: WebSession, form: dict[str, str]) -> Response:
        body = subscription_from_form(form, request.state.form_lists)
        channels.create_subscription(centre_of(request), session.principal, body)
        return see_other("/channels#subscriptions")

    def refused(session: WebSession, form: dict[str, str], exc: MarkazError) -> Response:
        values = {**form, "categories": request.state.form_lists.get("categories", [])}
        return _channels_page(
            request, session, values=values, error=exc.message, error_at="subscription", status=exc.status
        )

    return await submit_form(request, act, refused)


async def _remove(request: Request, kind: str, item_id: int) -> Response:
    centre = centre_of(request)
    remover = channels.remove_endpoint if kind == "endpoints" else channels.remove_subscription
    return await form_action(
        request, lambda principal: remover(centre, principal, item_id), f"/channels#{kind}"
    )


@router.post("/channels/endpoints/{item_id}/remove")
async def remove_endpoint(request: Request, item_id: int) -> Response:
    """Stop pushing to an endpoint (its past attempts stay on record)."""
    return await _remove(request, "endpoints", item_id)


@router.post("/channels/subscriptions/{item_id}/remove")
async def remove_subscription(request: Request, item_id: int) -> Response:
    return await _remove(request, "subscriptions", item_id)
