"""The TAXII 2.1 web adapter: a small ASGI app mounted at /taxii2/ over dissemination.taxii."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from markaz.centre import Centre
from markaz.dissemination import taxii

ROOT = "/{root}"
COLLECTION = ROOT + "/collections/{cid}"


def too_large(message: str) -> Response:
    """The 413 answer of the body limit, as a TAXII error message."""
    headers, status, body = taxii.error_response(413, message, "too_large")
    return Response(body, status_code=status, headers=headers)


def build(centre: Centre, limiter: taxii.Limiter | None = None) -> Starlette:
    """The TAXII app for one centre (mounted by create_app; nothing happens at import time).

    `limiter` is the REST API's per-token rate limiter, so TAXII requests count alike."""

    def endpoint(handler: Callable[..., taxii.Response], *names: str) -> Callable[[Request], Any]:
        async def run(request: Request) -> Response:
            params = request.path_params
            if "root" in params and params["root"] != taxii.API_ROOT:
                headers, status, body = taxii.error_response(404, f"there is no API root {params['root']!r}")
                return Response(body, status_code=status, headers=headers)
            body = await request.body() if request.method == "POST" else b""
            treq = taxii.TaxiiRequest(
                method=request.method,
                headers={k.lower(): v for k, v in request.headers.items()},
                query=list(request.query_params.multi_items()),
                body=body,
            )
            args = [str(params[n]) for n in names]
            headers, status, content = await run_in_threadpool(
                functools.partial(taxii.handle, limiter=limiter), centre, treq, handler, *args
            )
            return Response(content, status_code=status, headers=headers)

        return run

    routes = [
        Route("/", endpoint(taxii.discovery), methods=["GET"]),
        Route(ROOT + "/", endpoint(taxii.api_root), methods=["GET"]),
        Route(ROOT + "/collections/", endpoint(taxii.collections), methods=["GET"]),
        Route(COLLECTION + "/", endpoint(taxii.collection, "cid"), methods=["GET"]),
        Route(COLLECTION + "/objects/", endpoint(taxii.get_objects, "cid"), methods=["GET"]),
        Route(COLLECTION + "/objects/", endpoint(taxii.add_objects, "cid"), methods=["POST"]),
        Route(COLLECTION + "/manifest/", endpoint(taxii.get_manifest, "cid"), methods=["GET"]),
        Route(COLLECTION + "/objects/{oid}/", endpoint(taxii.get_object, "cid", "oid"), methods=["GET"]),
        Route(
            COLLECTION + "/objects/{oid}/", endpoint(taxii.delete_object, "cid", "oid"), methods=["DELETE"]
        ),
        Route(
            COLLECTION + "/objects/{oid}/versions/",
            endpoint(taxii.get_versions, "cid", "oid"),
            methods=["GET"],
        ),
        Route(ROOT + "/status/{sid}/", endpoint(taxii.get_status, "sid"), methods=["GET"]),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        message = (
            "this method is not allowed here"
            if status == 405
            else "there is no TAXII resource at this address"
        )
        headers, status, body = taxii.error_response(status, message)
        return Response(body, status_code=status, headers=headers)

    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
