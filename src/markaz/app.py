"""create_app(settings) -> the ASGI application; nothing happens at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from pydantic.json_schema import models_json_schema
from starlette.middleware.cors import CORSMiddleware

from markaz import __version__, web
from markaz.api import channels as channels_api
from markaz.api import circles, comments, errors, governance, limits, members, motions, reports, security
from markaz.api import deliveries as deliveries_api
from markaz.api import export as export_api
from markaz.api import fusion as fusion_api
from markaz.api import inbox as inbox_api
from markaz.api import signing as signing_api
from markaz.api import sitrep as sitrep_api
from markaz.api import taxii as taxii_api
from markaz.centre import Centre
from markaz.domain.models import ReportCorrection, ReportCreate, RetractRequest
from markaz.security.ratelimit import RateLimiter
from markaz.settings import Settings


def create_app(settings: Settings, centre: Centre | None = None) -> FastAPI:
    """Build the web application for one centre. The caller owns the settings."""
    centre = centre or Centre(settings)
    threads = centre.db.request_threads

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Requests run in a thread pool (40 threads by default), and each holds a database
        # connection while it works. With more threads than the pool keeps, every peak opened
        # and closed connections beyond it, and on SQLite each new one re-read the schema
        # and re-filled its page cache: about two a second under the load benchmark (983 in a
        # ten-minute soak, 34 with this limit; bench/load.py --probe, docs/operations.md). So
        # at most as many requests work at once as the pool keeps connections for requests
        # (Database.request_threads); the rest wait.
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="markaz",
        version=__version__,
        description="The API of a multinational information-exchange centre. "
        "Every item answers 404 to a member it is not released to.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.centre = centre
    app.state.rate_limiter = RateLimiter(
        centre.db,
        settings.rate_limit_per_minute,
        processes=settings.rate_limit_processes,
        sync_seconds=settings.rate_limit_sync_seconds,
    )
    # Sign-in attempts per client address, counted the same way (web/pages.py: signin_submit).
    app.state.signin_limiter = RateLimiter(
        centre.db,
        settings.signin_attempts_per_minute,
        processes=settings.rate_limit_processes,
        sync_seconds=settings.rate_limit_sync_seconds,
    )
    errors.install(app)
    app.add_middleware(limits.BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.cors_allow_origins:
        # Closed by default: without configured origins no CORS header is ever sent, so
        # browsers refuse cross-origin reads of the API.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
    # Outermost, so every answer carries the headers (errors and 413s included).
    app.add_middleware(security.SecurityHeaders, settings=settings)
    app.include_router(reports.router)
    app.include_router(members.router)
    app.include_router(circles.router)
    app.include_router(governance.router)
    app.include_router(motions.router)
    app.include_router(signing_api.router)
    app.include_router(inbox_api.router)
    app.include_router(deliveries_api.router)
    app.include_router(channels_api.router)
    app.include_router(comments.router)
    app.include_router(fusion_api.router)
    app.include_router(sitrep_api.router)
    app.include_router(export_api.router)
    app.mount("/taxii2", taxii_api.build(centre, app.state.rate_limiter))
    _document_bodies(app)

    # The browser interface: pages at /, sign-in, static files (docs/web.md).
    web.install(app, centre)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _document_bodies(app: FastAPI) -> None:
    """Bodies are parsed by markaz itself (UTF-8 and nesting checks); their schemas are added here."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        _, defs = models_json_schema(
            [(m, "validation") for m in (ReportCreate, ReportCorrection, RetractRequest)],
            ref_template="#/components/schemas/{model}",
        )
        schema.setdefault("components", {}).setdefault("schemas", {}).update(defs.get("$defs", {}))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
