"""The governance page: the chair and its schedule, members, votes with a vote button, circles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from markaz.dissemination import board
from markaz.errors import InvalidInput, MarkazError, NotFound
from markaz.governance import chair, votes
from markaz.governance import circles as circle_rules
from markaz.storage.members import list_members
from markaz.storage.web_sessions import WebSession
from markaz.web.pages import centre_of, error_page, form_with_csrf, page, require_session

router = APIRouter(include_in_schema=False)
CHOICES = ("approve", "reject", "abstain")


def governance_context(request: Request, session: WebSession) -> dict[str, Any]:
    centre = centre_of(request)
    today = datetime.now(UTC).date()
    try:
        current: dict[str, Any] | None = chair.term_public(chair.current(centre))
        schedule = [
            chair.term_public(t)
            for t in chair.schedule(centre, since=today, until=today + timedelta(days=730))
        ]
    except NotFound:
        current, schedule = None, []
    with centre.db.read() as conn:
        members = list_members(conn)
    names = {
        m["code"]: m["names"].get(session.language) or m["names"].get("en") or m["code"] for m in members
    }
    motions = votes.list_motions(centre)
    # The chair's board: deliveries overdue and dead letters, across every member.
    chair_board: dict[str, Any] | None = None
    if board.holds_chair(centre, session.principal):
        chair_board = {
            state: board.board(centre, session.principal, state=state, limit=100)["items"]
            for state in ("overdue", "dead")
        }
    return {
        "board": chair_board,
        "chair": current,
        "schedule": schedule,
        "members": members,
        "names": names,
        "motions": motions,
        "circles": circle_rules.list_all(centre),
        "can_vote": session.principal.role in votes.VOTER_ROLES,
        "is_chair": current is not None and current["member"] == session.principal.member,
        "choices": CHOICES,
    }


@router.get("/governance")
async def governance_page(request: Request) -> Response:
    session = await require_session(request)
    try:
        context = await run_in_threadpool(governance_context, request, session)
    except MarkazError as exc:
        return error_page(request, session, exc)
    return page(request, "governance.html", context, session=session)


@router.post("/governance/motions/{motion_id}/vote")
async def cast_vote(request: Request, motion_id: str) -> Response:
    session = await require_session(request)
    try:
        form = await form_with_csrf(request, session)
        choice = form.get("choice", "")
        if choice not in CHOICES:
            raise InvalidInput("choose approve, reject or abstain", field="choice")
        await run_in_threadpool(votes.vote, centre_of(request), session.principal, motion_id, choice)
    except MarkazError as exc:
        return error_page(request, session, exc)
    return RedirectResponse(f"/governance#motion-{motion_id}", status_code=303)
