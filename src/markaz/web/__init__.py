"""The browser interface: server-rendered pages, static files, sessions (docs/web.md)."""

from __future__ import annotations

from fastapi import FastAPI

from markaz.centre import Centre


def install(app: FastAPI, centre: Centre) -> None:
    """Mount the pages and static files of the browser interface on the application."""
    from markaz.web import (
        channel_pages,
        circle_pages,
        delivery_pages,
        fusion_pages,
        governance_pages,
        pages,
        reporting_pages,
        static,
    )

    static.mount(app)
    app.include_router(pages.router)
    app.include_router(reporting_pages.router)
    app.include_router(governance_pages.router)
    app.include_router(circle_pages.router)
    app.include_router(delivery_pages.router)
    app.include_router(channel_pages.router)
    app.include_router(fusion_pages.router)
    pages.install_handlers(app)
