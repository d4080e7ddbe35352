"""REST routes for reports and observations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from markaz.api.deps import CentreDep, CurrentPrincipal, JsonBody, WritePrincipal, body_doc
from markaz.api.filters import FilterDep
from markaz.api.paging import Cursor, Limit, page_limit, page_size
from markaz.api.responses import JSONBody
from markaz.collection import intake
from markaz.dissemination import pull
from markaz.domain.models import (
    BatchResult,
    ReportCorrection,
    ReportCreate,
    ReportPage,
    ReportPublic,
    RetractRequest,
)
from markaz.errors import InvalidInput, MalformedBody
from markaz.web.i18n import error_language, error_text

router = APIRouter(prefix="/api/v1", tags=["reports"])


@router.post(
    "/reports",
    status_code=201,
    response_model=ReportPublic,
    responses={200: {"model": ReportPublic, "description": "The client_ref was seen before: the original"}},
    openapi_extra=body_doc("ReportCreate", description=""),
    summary="Submit one report",
)
async def submit_report(
    request: Request, centre: CentreDep, principal: WritePrincipal, body: JsonBody
) -> Response:
    if not isinstance(body, dict):
        raise MalformedBody("send one report as a JSON object (use /api/v1/reports:batch for a list)")
    report = intake.parse_model(ReportCreate, body)

    def work() -> tuple[str, dict[str, Any]]:
        (result,) = intake.submit(centre, principal, [report])
        if result.error is not None:
            raise result.error
        assert result.id is not None
        return result.status, pull.get_report(centre, principal.member, result.id)

    status, stored = await run_in_threadpool(work)
    return JSONBody(
        stored,
        status_code=201 if status == "created" else 200,
        headers={"Location": f"/api/v1/reports/{stored['id']}"},
    )


@router.post(
    "/reports:batch",
    response_model=BatchResult,
    openapi_extra=body_doc({"type": "array", "items": {"$ref": "#/components/schemas/ReportCreate"}}),
    summary="Submit up to max_batch_items reports; bad items are reported, good ones stored",
)
async def submit_batch(
    request: Request, centre: CentreDep, principal: WritePrincipal, body: JsonBody
) -> Response:
    if not isinstance(body, list):
        raise MalformedBody("send a JSON array of reports")
    if not body:
        raise InvalidInput("the batch is empty")
    limit = centre.settings.max_batch_items
    if len(body) > limit:
        raise InvalidInput(f"a batch may hold at most {limit} reports; this one has {len(body)}")
    results = await run_in_threadpool(intake.submit, centre, principal, body)
    out = []
    counts = {"created": 0, "existing": 0, "error": 0}
    # Each refused item's sentence in the caller's language, like every error (docs/api.md).
    language = error_language(request.headers.get("accept-language"))
    for r in results:
        counts[r.status] += 1
        item: dict[str, Any] = {"index": r.index, "status": r.status}
        if r.id is not None:
            item["id"] = r.id
        if r.error is not None:
            item["error"] = r.error.to_dict()["error"]
            if language != "en":
                item["error"]["message"] = error_text(language, r.error.message)
        out.append(item)
    return JSONBody(
        {
            "created": counts["created"],
            "existing": counts["existing"],
            "failed": counts["error"],
            "results": out,
        }
    )


@router.get(
    "/reports", response_model=ReportPage, summary="A page of reports visible to the caller, newest first"
)
async def list_reports(
    centre: CentreDep,
    principal: CurrentPrincipal,
    f: FilterDep,
    limit: Limit = None,
    cursor: Cursor = None,
) -> Response:
    n = page_limit(centre, limit)
    page = await run_in_threadpool(pull.list_reports, centre, principal.member, f, limit=n, cursor=cursor)
    return JSONBody(page)


@router.get(
    "/reports/{report_id}",
    response_model=ReportPublic,
    responses={404: {"description": "No such report, or not released to the caller (same answer)"}},
)
async def get_report(report_id: str, centre: CentreDep, principal: CurrentPrincipal) -> Response:
    return JSONBody(await run_in_threadpool(pull.get_report, centre, principal.member, report_id))


@router.post(
    "/reports/{report_id}:retract",
    response_model=ReportPublic,
    openapi_extra=body_doc("RetractRequest", description=""),
    summary="Retract a report (originator only); every recipient is told",
)
async def retract_report(
    report_id: str, centre: CentreDep, principal: WritePrincipal, body: JsonBody
) -> Response:
    request = intake.parse_model(RetractRequest, body)

    def work() -> dict[str, Any]:
        intake.retract(centre, principal, report_id, request.reason)
        return pull.get_report(centre, principal.member, report_id)

    return JSONBody(await run_in_threadpool(work))


@router.post(
    "/reports/{report_id}:correct",
    status_code=201,
    response_model=ReportPublic,
    openapi_extra=body_doc("ReportCorrection", description=""),
    summary="Issue a corrected version (originator only); it supersedes the original",
)
async def correct_report(
    report_id: str, centre: CentreDep, principal: WritePrincipal, body: JsonBody
) -> Response:
    correction = intake.parse_model(ReportCorrection, body)

    def work() -> dict[str, Any]:
        new_id = intake.correct(centre, principal, report_id, correction)
        return pull.get_report(centre, principal.member, new_id)

    stored = await run_in_threadpool(work)
    return JSONBody(stored, status_code=201, headers={"Location": f"/api/v1/reports/{stored['id']}"})


@router.get(
    "/observations.geojson",
    summary="Visible observations as a GeoJSON FeatureCollection (RFC 7946), paginated",
    response_class=JSONBody,
    responses={200: {"content": {"application/geo+json": {}}}},
)
async def observations_geojson(
    centre: CentreDep,
    principal: CurrentPrincipal,
    f: FilterDep,
    limit: Limit = None,
    cursor: Cursor = None,
) -> Response:
    # Map clients take larger pages: ten times the list maximum, the list maximum by default.
    n = page_size(centre.settings.max_page_size * 10, limit, centre.settings.max_page_size)
    page = await run_in_threadpool(
        pull.observations_geojson, centre, principal.member, f, limit=n, cursor=cursor
    )
    return JSONBody(page, media_type="application/geo+json")


@router.get(
    "/reports/{report_id}/suggestions", summary="Observations suggested by extraction (originator only)"
)
async def list_suggestions(report_id: str, centre: CentreDep, principal: CurrentPrincipal) -> Response:
    from markaz.processing import suggest

    return JSONBody(await run_in_threadpool(suggest.list_for, centre, principal, report_id))


@router.post(
    "/suggestions/{suggestion_id}:confirm", summary="Confirm a suggestion: it becomes an observation"
)
async def confirm_suggestion(suggestion_id: int, centre: CentreDep, principal: WritePrincipal) -> Response:
    from markaz.processing import suggest

    return JSONBody(await run_in_threadpool(suggest.decide, centre, principal, suggestion_id, True))


@router.post("/suggestions/{suggestion_id}:dismiss", summary="Dismiss a suggestion")
async def dismiss_suggestion(suggestion_id: int, centre: CentreDep, principal: WritePrincipal) -> Response:
    from markaz.processing import suggest

    return JSONBody(await run_in_threadpool(suggest.decide, centre, principal, suggestion_id, False))
