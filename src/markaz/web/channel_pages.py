"""A member's webhook endpoints and subscriptions in the browser: listed, added, removed."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from markaz.dissemination import channels
from markaz.errors import MarkazError
from markaz.storage.web_sessions import WebSession
from markaz.web.pages import CsrfRefused, centre_of, error_page, form_with_csrf, page, require_session

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
    session = await require_session(request)
    try:
        return await run_in_threadpool(lambda: _channels_page(request, session))
    except MarkazError as exc:
        return error_page(request, session, exc)


@router.post("/channels/endpoints")
async def add_endpoint(request: Request) -> Response:
    """Register a webhook endpoint; its secret is shown on this answer only, as by the API."""
    session = await require_session(request)
    try:
        form = await form_with_csrf(request, session)
    except CsrfRefused as exc:
        return error_page(request, session, exc)
    body: dict[str, Any] = {"url": form.get("url", "")}
    if form.get("secret", "").strip():
        body["secret"] = form["secret"].strip()
    try:
        created = await run_in_threadpool(
            channels.create_endpoint, centre_of(request), session.principal, body
        )
    except MarkazError as exc:
        message, status = exc.message, exc.status
        return await run_in_threadpool(
            lambda: _channels_page(
                request,
                session,
                values={"url": form.get("url", "")},
                error=message,
                error_at="endpoint",
                status=status,
            )
        )
    return await run_in_threadpool(lambda: _channels_page(request, session, new_secret=created))


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
    session = await require_session(request)
    try:
        form = await form_with_csrf(request, session)
    except CsrfRefused as exc:
        return error_page(request, session, exc)
    lists: dict[str, list[str]] = request.state.form_lists
    try:
        body = subscription_from_form(form, lists)
        await run_in_threadpool(channels.create_subscription, centre_of(request), session.principal, body)
    except MarkazError as exc:
        values = {**form, "categories": lists.get("categories", [])}
        message, status = exc.message, exc.status
        return await run_in_threadpool(
            lambda: _channels_page(
                request, session, values=values, error=message, error_at="subscription", status=status
            )
        )
    return RedirectResponse("/channels#subscriptions", status_code=303)


async def _remove(request: Request, kind: str, item_id: int) -> Response:
    session = await require_session(request)
    centre = centre_of(request)
    remover = channels.remove_endpoint if kind == "endpoints" else channels.remove_subscription
    try:
        await form_with_csrf(request, session)
        await run_in_threadpool(remover, centre, session.principal, item_id)
    except MarkazError as exc:
        return error_page(request, session, exc)
    return RedirectResponse(f"/channels#{kind}", status_code=303)


@router.post("/channels/endpoints/{item_id}/remove")
async def remove_endpoint(request: Request, item_id: int) -> Response:
    """Stop pushing to an endpoint (its past attempts stay on record)."""
    return await _remove(request, "endpoints", item_id)


@router.post("/channels/subscriptions/{item_id}/remove")
async def remove_subscription(request: Request, item_id: int) -> Response:
    return await _remove(request, "subscriptions", item_id)
