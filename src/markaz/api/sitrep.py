"""REST routes for situation reports: a member's own, and the chair's published centre products."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from markaz.analysis import sitrep, sitrep_products
from markaz.analysis.sitrep_render import style_source
from markaz.api.deps import AdminPrincipal, CentreDep, CurrentPrincipal, JsonBody, body_doc
from markaz.api.responses import JSONBody
from markaz.api.security import content_security_policy
from markaz.centre import Centre

router = APIRouter(prefix="/api/v1", tags=["situation reports"])


def allow_style(policy: str, source: str) -> str:
    """`policy` with `source` added to its style-src (made from default-src when absent)."""
    directives = [d.strip() for d in policy.split(";") if d.strip()]
    names = [d.split()[0].lower() for d in directives]
    if "style-src" in names:
        i = names.index("style-src")
        directives[i] = f"{directives[i]} {source}"
    else:
        fallback = directives[names.index("default-src")].split()[1:] if "default-src" in names else []
        directives.append(" ".join(["style-src", *fallback, source]))
    return "; ".join(directives)


def rendered(centre: Centre, media_type: str, content: bytes) -> Response:
    """A rendered report. The HTML carries its style sheet in a <style> block (one file that
    works saved and offline); this response's policy admits exactly that block by its hash."""
    headers = {}
    if media_type.startswith("text/html"):
        policy = content_security_policy(centre.settings)
        headers["Content-Security-Policy"] = allow_style(policy, style_source())
    return Response(content, media_type=media_type, headers=headers)


@router.get(
    "/sitrep",
    summary="A situation report for the caller's member, from what it may see",
    responses={
        200: {
            "content": {
                "application/json": {},
                "text/markdown": {},
                "text/html": {},
                "application/pdf": {},
            }
        }
    },
)
async def get_sitrep(
    centre: CentreDep,
    principal: CurrentPrincipal,
    since: Annotated[
        datetime | None, Query(description="from (ISO 8601; default: 24 hours before until)")
    ] = None,
    until: Annotated[datetime | None, Query(description="to, exclusive (ISO 8601; default: now)")] = None,
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat (WGS84)")] = None,
    lang: Annotated[str, Query(description="ar, fa, ru or en")] = "en",
    format: Annotated[str, Query(description="json, md, html or pdf")] = "json",
) -> Response:
    req = sitrep.parse_request(since=since, until=until, bbox=bbox, lang=lang, fmt=format)
    media_type, content = await run_in_threadpool(sitrep.member_sitrep, centre, principal.member, req)
    return rendered(centre, media_type, content)


_PRODUCT_BODY = body_doc(
    {
        "type": "object",
        "properties": {
            "since": {"type": "string", "format": "date-time"},
            "until": {"type": "string", "format": "date-time"},
            "bbox": {"type": "string", "description": "minLon,minLat,maxLon,maxLat"},
            "lang": {"type": "string", "enum": ["ar", "fa", "ru", "en"]},
            "releasable_to": {"type": "array", "items": {"type": "string"}, "default": ["ALL"]},
            "precedence": {"type": "string", "enum": ["FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE"]},
            "tlp": {"type": "string"},
        },
        "additionalProperties": False,
    }
)


@router.post(
    "/products",
    status_code=201,
    openapi_extra=_PRODUCT_BODY,
    summary="The chair publishes a centre situation report to the members it names (only what all may see)",
)
async def publish_product(centre: CentreDep, principal: AdminPrincipal, body: JsonBody) -> Response:
    stored = await run_in_threadpool(sitrep_products.publish, centre, principal, body)
    return JSONBody(stored, status_code=201, headers={"Location": f"/api/v1/products/{stored['id']}"})


@router.get("/products", summary="Centre products released to the caller's member, newest first")
async def list_products(
    centre: CentreDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")] = None,
) -> Response:
    page = await run_in_threadpool(
        sitrep_products.list_products, centre, principal.member, limit=limit, before=cursor
    )
    return JSONBody(page)


@router.get(
    "/products/{product_id}",
    summary="One centre product, rendered (json, md, html, pdf)",
    responses={
        200: {
            "content": {"application/json": {}, "text/markdown": {}, "text/html": {}, "application/pdf": {}}
        },
        404: {"description": "No such product, or not released to the caller (the same answer)"},
    },
)
async def get_product(
    product_id: str,
    centre: CentreDep,
    principal: CurrentPrincipal,
    format: Annotated[str, Query(description="json, md, html or pdf")] = "json",
) -> Response:
    media_type, content = await run_in_threadpool(
        sitrep_products.get_product, centre, principal.member, product_id, format
    )
    return rendered(centre, media_type, content)
