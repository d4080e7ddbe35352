"""Report pages: the list, a new report, a report with its findings; retraction and correction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from markaz.analysis import views
from markaz.collection import intake
from markaz.dissemination import board, pull
from markaz.domain.enums import (
    Category,
    InformationCredibility,
    Opinion,
    Precedence,
    ReportStatus,
    SourceReliability,
    Tlp,
)
from markaz.domain.models import ReportCorrection, RetractRequest
from markaz.errors import Forbidden, InvalidInput, MarkazError
from markaz.governance import circles as circle_rules
from markaz.storage.principals import Principal
from markaz.storage.reports import ReportFilter
from markaz.storage.schema import jobs
from markaz.storage.web_sessions import WebSession
from markaz.web import i18n, labels
from markaz.web.highlight import pieces, spans_of
from markaz.web.pages import (
    centre_of,
    error_page,
    form_action,
    member_names,
    page,
    require_session,
    see_other,
    show,
    submit_form,
)

router = APIRouter(include_in_schema=False)
RTL_LANGUAGES = ("ar", "fa")
MAX_MAP_POINTS = 100


def _form_choices(session: WebSession) -> dict[str, Any]:
    _ = i18n.translations(session.language).gettext
    return {
        "precedence_choices": labels.precedence_labels(_),
        "reliability_choices": labels.reliability_labels(_),
        "credibility_choices": labels.credibility_labels(_),
        "tlp_choices": [t.value for t in Tlp],
        "category_choices": labels.category_labels(_),
    }


def _release_options(request: Request, session: WebSession) -> dict[str, Any]:
    centre = centre_of(request)
    names = member_names(centre, session.language)
    active = [c for c in circle_rules.list_all(centre) if c["status"] == "active"]
    with centre.db.read() as conn:
        from markaz.storage.members import list_members

        members = [r["code"] for r in list_members(conn) if r["status"] == "active"]
    return {
        "member_choices": {m: names.get(m, m) for m in members},
        "circle_choices": [c["name"] for c in active],
    }


def _new_form(
    request: Request,
    session: WebSession,
    values: dict[str, Any],
    error: str,
    status: int,
    correcting: dict[str, Any] | None = None,
) -> Response:
    context = {
        **_form_choices(session),
        **_release_options(request, session),
        "values": values,
        "error": error,
        # A correction: the original, whose observations may be kept (report_new.html).
        "correcting": correcting,
    }
    _ = i18n.translations(session.language).gettext
    context["config"] = {"categories": labels.category_labels(_), "language": session.language}
    return page(request, "report_new.html", context, session=session, status=status)


@router.get("/reports/new")
async def new_report(request: Request) -> Response:
    session = await require_session(request)
    defaults = {
        "precedence": "ROUTINE",
        "source_reliability": "F",
        "information_credibility": "6",
        "tlp": "AMBER",
    }
    return await run_in_threadpool(_new_form, request, session, defaults, "", 200)


def report_from_form(form: dict[str, str], lists: dict[str, list[str]]) -> dict[str, Any]:
    """The API's report document from the form's fields (validated by intake like any other)."""
    report: dict[str, Any] = {
        "title": form.get("title", "").strip(),
        "precedence": form.get("precedence") or Precedence.ROUTINE.value,
        "source_reliability": form.get("source_reliability") or SourceReliability.F.value,
        "information_credibility": form.get("information_credibility")
        or InformationCredibility.CANNOT_BE_JUDGED.value,
        "tlp": form.get("tlp") or Tlp.AMBER.value,
    }
    body = form.get("body", "").replace("\r\n", "\n")
    if body.strip():
        report["body"] = body
    if form.get("language"):
        report["language"] = form["language"]
    observed = form.get("observed_at", "").strip()
    if observed:
        try:
            report["observed_at"] = datetime.fromisoformat(observed).replace(tzinfo=UTC).isoformat()
        except ValueError:
            raise InvalidInput("the observation time is not a date and time", field="observed_at") from None
    if form.get("release_all"):
        report["releasable_to"] = ["ALL"]
    else:
        chosen = lists.get("release_member", []) + [f"circle:{c}" for c in lists.get("release_circle", [])]
        if not chosen:
            raise InvalidInput(
                "choose who may read the report: ALL, members or circles", field="releasable_to"
            )
        report["releasable_to"] = chosen
    observations = []
    for raw in lists.get("obs", [])[:MAX_MAP_POINTS]:
        parts = raw.split("|")
        if len(parts) != 3 or parts[0] not in {c.value for c in Category}:
            raise InvalidInput("a point on the map could not be read; remove it and click again", field="obs")
        try:
            lon, lat = float(parts[1]), float(parts[2])
        except ValueError:
            raise InvalidInput("a point on the map could not be read", field="obs") from None
        observations.append({"category": parts[0], "geometry": {"type": "Point", "coordinates": [lon, lat]}})
    if observations:
        report["observations"] = observations
    return report


def _typed(form: dict[str, str], lists: dict[str, list[str]]) -> dict[str, Any]:
    """What the report form held when it was sent, to show it again after a refusal."""
    return {
        **form,
        "release_member": lists.get("release_member", []),
        "release_circle": lists.get("release_circle", []),
        "obs": lists.get("obs", []),
        # An unticked box is not sent; without this the form would come back with ALL ticked
        # (its default) beside the members chosen, and sending it again would release to ALL.
        "release_all": form.get("release_all", ""),
    }


def _refusal(exc: MarkazError) -> str:
    # The report form is long: the sentence names the field it is about.
    return exc.message if not exc.field else f"{exc.field}: {exc.message}"


@router.post("/reports/new")
async def submit_new_report(request: Request) -> Response:
    def act(session: WebSession, form: dict[str, str]) -> Response:
        report = report_from_form(form, request.state.form_lists)
        (result,) = intake.submit(centre_of(request), session.principal, [report])
        if result.error is not None:
            raise result.error
        return see_other(f"/reports/{result.id}")

    def refused(session: WebSession, form: dict[str, str], exc: MarkazError) -> Response:
        values = _typed(form, request.state.form_lists)
        return _new_form(request, session, values, _refusal(exc), exc.status)

    return await submit_form(request, act, refused)


@router.get("/reports")
async def report_list(request: Request) -> Response:
    centre = centre_of(request)
    cursor = request.query_params.get("cursor") or None

    def render(session: WebSession) -> Response:
        found = pull.list_reports(centre, session.principal.member, ReportFilter(), limit=50, cursor=cursor)
        names = member_names(centre, session.language)
        context = {"reports": found["items"], "next_cursor": found["next_cursor"], "members": names}
        return page(request, "reports.html", context, session=session)

    return await show(request, render)


def _extraction_state(request: Request, report_id: str) -> str | None:
    with centre_of(request).db.read() as conn:
        return conn.execute(
            select(jobs.c.state)
            .where(jobs.c.kind == "extract", jobs.c.ref == report_id)
            .order_by(jobs.c.id.desc())
        ).scalar()


def report_context(request: Request, session: WebSession, report_id: str) -> dict[str, Any]:
    from markaz.processing import suggest
    from markaz.processing.extractor import get_extractor

    centre = centre_of(request)
    report = pull.get_report(centre, session.principal.member, report_id)
    own = report["originator"] == session.principal.member
    suggestions = suggest.list_for(centre, session.principal, report_id) if own else []
    body = report.get("body") or ""
    extraction = get_extractor().extract(body).to_dict() if body else {}
    for s in suggestions:
        start, end = (s.get("evidence") or {}).get("span") or (0, 0)
        s["quote"] = body[start:end] if 0 <= start < end <= len(body) else ""
    pending = [s for s in suggestions if s["state"] == "suggested"]
    marked = [tuple(s["evidence"]["span"]) for s in pending if s.get("evidence", {}).get("span")]
    direction = "rtl" if report.get("language") in RTL_LANGUAGES else "auto"
    comments = views.list_comments(centre, session.principal.member, "report", report_id, limit=500)
    receipts = board.receipts(centre, session.principal, report_id)["deliveries"] if own else []
    return {
        "comments": comments,
        "receipts": receipts,
        "opinions": [o.value for o in Opinion],
        "report": report,
        "own": own,
        # Offers the originator's retract and correct forms; intake checks the rule again.
        "can_amend": own and report["status"] == ReportStatus.ACTIVE.value,
        "pieces": pieces(body, spans_of(extraction), marked),
        "suggestions": suggestions,
        "extracting": own and bool(body) and _extraction_state(request, report_id) in ("queued", "running"),
        "text_dir": direction,
        "members": member_names(centre, session.language),
        "mini_map": {"observations": report["observations"], "suggestions": pending},
    }


@router.get("/reports/{report_id}")
async def report_page(request: Request, report_id: str) -> Response:
    def render(session: WebSession) -> Response:
        return page(request, "report.html", report_context(request, session, report_id), session=session)

    return await show(request, render)


@router.post("/reports/{report_id}/suggestions/{suggestion_id}/{decision}")
async def decide_suggestion(request: Request, report_id: str, suggestion_id: int, decision: str) -> Response:
    from markaz.processing import suggest

    def change(principal: Principal) -> None:
        if decision not in ("confirm", "dismiss"):
            raise InvalidInput("a suggestion is confirmed or dismissed", field="decision")
        suggest.decide(centre_of(request), principal, suggestion_id, decision == "confirm")

    return await form_action(request, change, f"/reports/{report_id}#suggestions")


@router.post("/reports/{report_id}/comments")
async def add_comment(request: Request, report_id: str) -> Response:
    def act(session: WebSession, form: dict[str, str]) -> Response:
        body: dict[str, Any] = {"text": form.get("text", "").replace("\r\n", "\n")}
        if form.get("opinion"):
            body["opinion"] = form["opinion"]
        if form.get("reply_to"):
            body["reply_to"] = form["reply_to"]
        views.add_comment(centre_of(request), session.principal, "report", report_id, body)
        return see_other(f"/reports/{report_id}#comments")

    return await submit_form(request, act)


# ---- retraction and correction (the originator's) -----------------------------------------


def _originators_report(request: Request, session: WebSession, report_id: str) -> dict[str, Any]:
    """The report as the originator reads it; others get the page the API's rule gives them.

    A report the member may not see is a 404 exactly like a missing one (pull.get_report);
    the real rule is checked again by intake when the form is sent.
    """
    report = pull.get_report(centre_of(request), session.principal.member, report_id)
    if report["originator"] != session.principal.member:
        raise Forbidden("only the originating member may retract or correct a report")
    return report


def _values_of(report: dict[str, Any]) -> dict[str, Any]:
    """The correction form starts from the original."""
    released = report["releasable_to"]
    observed = report.get("observed_at") or ""
    return {
        "title": report["title"],
        "body": report["body"],
        "language": report.get("language") or "",
        "observed_at": observed[:16] if observed else "",
        "precedence": report["precedence"],
        "source_reliability": report["source_reliability"],
        "information_credibility": report["information_credibility"],
        "tlp": report["tlp"],
        "release_all": "1" if "ALL" in released else "",
        "release_member": [r for r in released if r != "ALL" and not r.startswith("circle:")],
        "release_circle": [r[len("circle:") :] for r in released if r.startswith("circle:")],
        "keep_observations": "1",
        "obs": [],
    }


def kept_observations(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The original's observations as the API's input documents (their ids and empty fields dropped)."""
    return [
        {k: v for k, v in o.items() if k != "id" and v is not None} for o in report.get("observations", [])
    ]


@router.get("/reports/{report_id}/correct")
async def correction_form(request: Request, report_id: str) -> Response:
    def render(session: WebSession) -> Response:
        report = _originators_report(request, session, report_id)
        return _new_form(request, session, _values_of(report), "", 200, report)

    return await show(request, render)


@router.post("/reports/{report_id}/correct")
async def submit_correction(request: Request, report_id: str) -> Response:
    def act(session: WebSession, form: dict[str, str]) -> Response:
        # Not the originator's (or not visible): the error page, not the form again.
        try:
            original = _originators_report(request, session, report_id)
        except MarkazError as exc:
            return error_page(request, session, exc)
        lists: dict[str, list[str]] = request.state.form_lists
        try:
            document = report_from_form(form, lists)
            if form.get("keep_observations"):
                document["observations"] = kept_observations(original) + document.get("observations", [])
            correction = intake.parse_model(ReportCorrection, document)
            new_id = intake.correct(centre_of(request), session.principal, report_id, correction)
        except MarkazError as exc:
            return _new_form(request, session, _typed(form, lists), _refusal(exc), exc.status, original)
        return see_other(f"/reports/{new_id}")

    return await submit_form(request, act)


@router.post("/reports/{report_id}/retract")
async def retract_report(request: Request, report_id: str) -> Response:
    """The originator withdraws a report; every member that received it is told (intake.retract)."""

    def act(session: WebSession, form: dict[str, str]) -> Response:
        reason = intake.parse_model(
            RetractRequest, {"reason": form.get("reason", "").replace("\r\n", "\n").strip()}
        )
        intake.retract(centre_of(request), session.principal, report_id, reason.reason)
        return see_other(f"/reports/{report_id}")

    return await submit_form(request, act)
