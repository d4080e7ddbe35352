"""Governance pages: the chair, its schedule and handover, members, votes (opened, cast, closed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from markaz.collection.intake import parse_model
from markaz.dissemination import board
from markaz.errors import InvalidInput, MarkazError, NotFound
from markaz.governance import chair, votes
from markaz.governance import circles as circle_rules
from markaz.storage.members import list_members
from markaz.storage.web_sessions import WebSession
from markaz.web.pages import centre_of, form_action, page, see_other, show, submit_form

router = APIRouter(include_in_schema=False)
CHOICES = ("approve", "reject", "abstain")
NAME_LANGUAGES = ("en", "ar", "fa", "ru")


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
        # Only decides which buttons are offered; the governance functions decide what is allowed.
        "acts_for_chair": current is not None
        and current["member"] == session.principal.member
        and session.principal.role in chair.CHAIR_ROLES,
        "choices": CHOICES,
    }


@router.get("/governance")
async def governance_page(request: Request) -> Response:
    def render(session: WebSession) -> Response:
        return page(request, "governance.html", governance_context(request, session), session=session)

    return await show(request, render)


@router.post("/governance/motions/{motion_id}/vote")
async def cast_vote(request: Request, motion_id: str) -> Response:
    def act(session: WebSession, form: dict[str, str]) -> Response:
        choice = form.get("choice", "")
        if choice not in CHOICES:
            raise InvalidInput("choose approve, reject or abstain", field="choice")
        votes.vote(centre_of(request), session.principal, motion_id, choice)
        return see_other(f"/governance#motion-{motion_id}")

    return await submit_form(request, act)


def deadline_of(value: str) -> datetime | str:
    """A `datetime-local` field, read as UTC (the page says so).

    What does not read as a date and time goes to the vote's own validation as typed, which
    refuses it with the API's sentence.
    """
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _new_vote_page(
    request: Request, session: WebSession, values: dict[str, str], error: str, status: int
) -> Response:
    context = governance_context(request, session)
    default_deadline = (datetime.now(UTC) + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M")
    context.update(
        {
            "values": {"deadline": default_deadline, **values},
            "error": error,
            "name_languages": NAME_LANGUAGES,
        }
    )
    return page(request, "vote_new.html", context, session=session, status=status)


def _vote_refused(request: Request, session: WebSession, form: dict[str, str], exc: MarkazError) -> Response:
    """The new-vote page again, with what was typed and why it was refused."""
    values = {k: v for k, v in form.items() if k != "csrf_token"}
    return _new_vote_page(request, session, values, exc.message, exc.status)


@router.get("/governance/votes/new")
async def new_vote(request: Request) -> Response:
    """The chair opens a vote: an accession (a candidate's application), a suspension, a reinstatement."""
    return await show(request, lambda session: _new_vote_page(request, session, {}, "", 200))


def accession_from_form(form: dict[str, str]) -> votes.AccessionRequest:
    names = {
        lang: form[f"name_{lang}"].strip() for lang in NAME_LANGUAGES if form.get(f"name_{lang}", "").strip()
    }
    body = {
        "code": form.get("code", "").strip(),
        "names": names,
        "contact": form.get("contact", "").strip(),
        "reason": form.get("reason", "").replace("\r\n", "\n").strip(),
        "deadline": deadline_of(form.get("deadline", "")),
    }
    return parse_model(votes.AccessionRequest, body)


@router.post("/governance/votes/accession")
async def open_accession(request: Request) -> Response:
    def act(session: WebSession, form: dict[str, str]) -> Response:
        wanted = accession_from_form(form)
        motion = votes.open_accession(centre_of(request), session.principal, wanted)
        return see_other(f"/governance#motion-{motion['id']}")

    return await submit_form(request, act, partial(_vote_refused, request))


async def _open_member_vote(request: Request, kind: str) -> Response:
    def act(session: WebSession, form: dict[str, str]) -> Response:
        deadline = parse_model(
            votes.MotionRequest, {"deadline": deadline_of(form.get("member_deadline", ""))}
        )
        member = form.get("member", "").strip()
        motion = votes.open_member_vote(
            centre_of(request), session.principal, kind, member, deadline.deadline
        )
        return see_other(f"/governance#motion-{motion['id']}")

    return await submit_form(request, act, partial(_vote_refused, request))


@router.post("/governance/votes/suspend")
async def open_suspension(request: Request) -> Response:
    return await _open_member_vote(request, "suspend")


@router.post("/governance/votes/reinstate")
async def open_reinstatement(request: Request) -> Response:
    return await _open_member_vote(request, "reinstate")


@router.post("/governance/motions/{motion_id}/close")
async def close_vote(request: Request, motion_id: str) -> Response:
    """The chair closes a vote now; it is decided on the votes cast so far."""
    centre = centre_of(request)
    return await form_action(
        request,
        lambda principal: votes.close(centre, principal, motion_id),
        f"/governance#motion-{motion_id}",
    )


@router.post("/governance/motions/{motion_id}/credentials")
async def credentials(request: Request, motion_id: str) -> Response:
    """Once, to the chair: the admitted member's login and token, shown on this answer only."""

    def act(session: WebSession, _form: dict[str, str]) -> Response:
        issued = votes.issue_credentials(centre_of(request), session.principal, motion_id)
        return page(request, "credentials.html", {"issued": issued}, session=session)

    return await submit_form(request, act)


def _handover_context(request: Request, session: WebSession) -> dict[str, Any]:
    context = governance_context(request, session)
    upcoming = [
        t for t in context["schedule"] if context["chair"] and t["starts_on"] > context["chair"]["starts_on"]
    ]
    context["successor"] = upcoming[0]["member"] if upcoming else None
    return context


@router.get("/governance/handover")
async def handover_page(request: Request) -> Response:
    """The chair's term and schedule, and, for the chair, the handover to the next member today."""

    def render(session: WebSession) -> Response:
        return page(request, "handover.html", _handover_context(request, session), session=session)

    return await show(request, render)


@router.post("/governance/handover")
async def handover(request: Request) -> Response:
    centre = centre_of(request)
    return await form_action(
        request, lambda principal: chair.handover(centre, principal), "/governance#current-chair"
    )
