"""REST routes for sharing circles (visible to every member)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from markaz.api.deps import AdminPrincipal, CentreDep, CurrentPrincipal, JsonBody, body_doc
from markaz.api.responses import JSONBody
from markaz.collection.intake import parse_model
from markaz.governance import circles

router = APIRouter(prefix="/api/v1", tags=["governance"])


class CircleMember(BaseModel):
    code: str
    consented_at: str | None


class CirclePublic(BaseModel):
    name: str
    description: str
    created_by: str
    created_at: str
    status: str
    members: list[CircleMember]


@router.get("/circles", response_model=list[CirclePublic], summary="All sharing circles")
async def list_circles(centre: CentreDep, _principal: CurrentPrincipal) -> Response:
    return JSONBody(await run_in_threadpool(circles.list_all, centre))


@router.post(
    "/circles",
    status_code=201,
    response_model=CirclePublic,
    openapi_extra=body_doc("CircleCreate"),
    summary="Create a circle the caller's member belongs to; active once every member consented",
)
async def create_circle(centre: CentreDep, principal: AdminPrincipal, body: JsonBody) -> Response:
    request = parse_model(circles.CircleCreate, body)
    circle = await run_in_threadpool(circles.create, centre, principal, request)
    return JSONBody(circle, status_code=201, headers={"Location": f"/api/v1/circles/{circle['name']}"})


@router.get("/circles/{name}", response_model=CirclePublic, summary="One circle")
async def get_circle(name: str, centre: CentreDep, _principal: CurrentPrincipal) -> Response:
    return JSONBody(await run_in_threadpool(circles.get, centre, name))


@router.post("/circles/{name}:consent", response_model=CirclePublic, summary="The caller's member consents")
async def consent(name: str, centre: CentreDep, principal: AdminPrincipal) -> Response:
    return JSONBody(await run_in_threadpool(circles.consent, centre, principal, name))


@router.post("/circles/{name}:leave", response_model=CirclePublic, summary="The caller's member leaves")
async def leave(name: str, centre: CentreDep, principal: AdminPrincipal) -> Response:
    return JSONBody(await run_in_threadpool(circles.leave, centre, principal, name))
