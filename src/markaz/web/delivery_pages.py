"""The inbox (deliveries by precedence, one-click acknowledge) and the situation-report page."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from markaz.analysis import sitrep
from markaz.dissemination import inbox as inbox_logic
from markaz.errors import InvalidInput, MarkazError
from markaz.storage.web_sessions import WebSession
from markaz.web.pages import (
    centre_of,
    member_names,
    page,
    require_session,
    see_other,
    show,
    submit_form,
)

router = APIRouter(include_in_schema=False)
STATES = ("unacknowledged", "overdue", "acknowledged")
PAGE = 50


def _urgency(item: dict[str, Any]) -> int:
    # Overdue first, then the rest not yet acknowledged, then the acknowledged; the API's
    # order (precedence, then newest) stays within each group.
    if item["state"] != "acknowledged" and item["overdue"]:
        return 0
    return 1 if item["state"] != "acknowledged" else 2


@router.get("/inbox")
async def inbox_page(request: Request) -> Response:
    centre = centre_of(request)
    state = request.query_params.get("state") or None
    cursor = request.query_params.get("cursor") or None

    def render(session: WebSession) -> Response:
        if state is not None and state not in STATES:
            raise InvalidInput(f"state: one of {', '.join(STATES)}", field="state")
        found = inbox_logic.inbox(centre, session.principal, limit=PAGE, cursor=cursor, state=state)
        items = sorted(found["items"], key=_urgency)
        names = member_names(centre, session.language)
        next_link = None
        if found["next_cursor"]:
            query = {"state": state, "cursor": found["next_cursor"]}
            next_link = "/inbox?" + urlencode({k: v for k, v in query.items() if v})
        context = {"items": items, "state": state, "states": STATES, "next_link": next_link, "members": names}
        return page(request, "inbox.html", context, session=session)

    return await show(request, render)


@router.post("/inbox/{delivery_id}/ack")
async def acknowledge(request: Request, delivery_id: str) -> Response:
    def act(session: WebSession, form: dict[str, str]) -> Response:
        inbox_logic.acknowledge(centre_of(request), session.principal, delivery_id)
        return see_other("/inbox" + (f"?state={form['state']}" if form.get("state") in STATES else ""))

    return await submit_form(request, act)


def _day(value: str | None, *, end: bool) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise InvalidInput("give the date as YYYY-MM-DD", field="until" if end else "since") from None
    moment = datetime.combine(day, time.min, tzinfo=UTC)
    # `until` is the whole chosen day: the request's end is exclusive.
    return moment + timedelta(days=1) if end else moment


@router.get("/sitrep")
async def sitrep_page(request: Request) -> Response:
    """Choose the period and the area; view the report or download its PDF from the API."""
    session = await require_session(request)
    q = request.query_params
    values = {
        "since": q.get("since", ""),
        "until": q.get("until", ""),
        "bbox": q.get("bbox", ""),
        "lang": q.get("lang", session.language),
    }
    links: dict[str, str] | None = None
    report: dict[str, Any] | None = None
    map_image = ""
    error = ""
    if "since" in q or "until" in q:
        try:
            req = sitrep.parse_request(
                since=_day(values["since"], end=False),
                until=_day(values["until"], end=True),
                bbox=values["bbox"] or None,
                lang=values["lang"],
                fmt="html",
            )
            params = {"since": req.since.isoformat(), "until": req.until.isoformat(), "lang": req.lang}
            if values["bbox"]:
                params["bbox"] = values["bbox"]
            links = {
                "html": "/api/v1/sitrep?" + urlencode({**params, "format": "html"}),
                "pdf": "/api/v1/sitrep?" + urlencode({**params, "format": "pdf"}),
            }
            # Shown on this page from the report's JSON, under this page's own style sheet
            # and policy; the PDF is the API's.
            as_json = replace(req, format="json")
            _media, content = await run_in_threadpool(
                sitrep.member_sitrep, centre_of(request), session.principal.member, as_json
            )
            report = orjson.loads(content)
            svg = report.get("map_svg") or ""
            # The map is an SVG image: as an <img> it can show, never run anything.
            map_image = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode() if svg else ""
        except MarkazError as exc:
            error = exc.message
    return page(
        request,
        "sitrep.html",
        {"values": values, "links": links, "error": error, "report": report, "map_image": map_image},
        session=session,
        status=422 if error else 200,
    )
