"""REST routes for a member's webhook endpoints and subscriptions."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from markaz.api.deps import AdminPrincipal, CentreDep, CurrentPrincipal, JsonBody
from markaz.api.responses import JSONBody
from markaz.dissemination import channels

router = APIRouter(prefix="/api/v1", tags=["dissemination"])


@router.get("/endpoints", summary="The caller's member's webhook endpoints (secrets are never shown)")
async def list_endpoints(centre: CentreDep, principal: CurrentPrincipal) -> Response:
    return JSONBody(await run_in_threadpool(channels.list_endpoints, centre, principal))


@router.post(
    "/endpoints",
    status_code=201,
    summary="Register a webhook endpoint {url, secret?}; the secret is shown in this answer only",
)
async def create_endpoint(centre: CentreDep, principal: AdminPrincipal, body: JsonBody) -> Response:
    row = await run_in_threadpool(channels.create_endpoint, centre, principal, body)
    return JSONBody(row, status_code=201, headers={"Location": f"/api/v1/endpoints/{row['id']}"})


@router.delete("/endpoints/{endpoint_id}", summary="Stop pushing to an endpoint")
async def remove_endpoint(endpoint_id: int, centre: CentreDep, principal: AdminPrincipal) -> Response:
    return JSONBody(await run_in_threadpool(channels.remove_endpoint, centre, principal, endpoint_id))


@router.get("/subscriptions", summary="The caller's member's subscriptions")
async def list_subscriptions(centre: CentreDep, principal: CurrentPrincipal) -> Response:
    return JSONBody(await run_in_threadpool(channels.list_subscriptions, centre, principal))


@router.post(
    "/subscriptions",
    status_code=201,
    summary="Subscribe to PRIORITY/ROUTINE items by area (bbox or polygon), categories, minimum precedence",
)
async def create_subscription(centre: CentreDep, principal: AdminPrincipal, body: JsonBody) -> Response:
    row = await run_in_threadpool(channels.create_subscription, centre, principal, body)
    return JSONBody(row, status_code=201, headers={"Location": f"/api/v1/subscriptions/{row['id']}"})


@router.delete("/subscriptions/{subscription_id}", status_code=204, summary="Remove a subscription")
async def remove_subscription(subscription_id: int, centre: CentreDep, principal: AdminPrincipal) -> Response:
    await run_in_threadpool(channels.remove_subscription, centre, principal, subscription_id)
    return Response(status_code=204)
