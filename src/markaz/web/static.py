"""Static files served by markaz itself: its own CSS and JS, Leaflet and marker clustering."""

from __future__ import annotations

from pathlib import Path

import xstatic.pkg.leaflet as leaflet
import xstatic.pkg.leaflet_markercluster as markercluster
from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

OWN = Path(__file__).parent / "static"


def mount(app: FastAPI) -> None:
    # Everything the pages load comes from this server: the interface works with no internet.
    app.mount("/static/markaz", StaticFiles(directory=OWN), name="web-static")
    app.mount("/static/leaflet", StaticFiles(directory=leaflet.BASE_DIR), name="leaflet")
    app.mount("/static/markercluster", StaticFiles(directory=markercluster.BASE_DIR), name="markercluster")
