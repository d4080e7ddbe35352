"""Situation reports: what one member (or every recipient of a centre product) may see in a period."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from markaz.analysis.sitrep_i18n import LANGUAGES, direction
from markaz.analysis.sitrep_map import legend, padded_bbox, render_map
from markaz.analysis.sitrep_places import nearest_town, outlines_in, towns_in
from markaz.centre import Centre
from markaz.domain.enums import Category
from markaz.domain.query import as_utc, parse_bbox
from markaz.errors import InvalidInput
from markaz.storage import sitreps as store
from markaz.storage.canonical import iso
from markaz.storage.dialects import BBox

FORMATS = ("md", "html", "pdf", "json")
MAX_PERIOD = timedelta(days=366)
DEFAULT_PERIOD = timedelta(hours=24)
BEST = 10
MAX_FUSED = 500
LINE_CATEGORIES = frozenset({Category.MOVEMENT.value, Category.SMUGGLING_ROUTE.value})
# STIX 2.1 Appendix A: Admiralty information credibility as a confidence value (6: no value).
CREDIBILITY = {"1": 90, "2": 70, "3": 50, "4": 30, "5": 10}


@dataclass(frozen=True)
class SitrepRequest:
    since: datetime
    until: datetime
    bbox: BBox | None
    lang: str
    format: str


def parse_request(
    *,
    since: datetime | None,
    until: datetime | None,
    bbox: str | None,
    lang: str,
    fmt: str,
    formats: Sequence[str] = FORMATS,
    now: datetime | None = None,
) -> SitrepRequest:
    """Check a request once, for the API and the CLI alike; defaults: the last 24 hours."""
    if lang not in LANGUAGES:
        raise InvalidInput(f"lang must be one of {', '.join(LANGUAGES)}", field="lang")
    if fmt not in formats:
        raise InvalidInput(f"format must be one of {', '.join(formats)}", field="format")
    end = as_utc(until) or (now or datetime.now(UTC))
    try:
        start = as_utc(since) or end - DEFAULT_PERIOD
    except OverflowError:
        raise InvalidInput(
            "until is too early for a default period; give since as well", field="until"
        ) from None
    if start >= end:
        raise InvalidInput("since must be before until", field="since")
    if end - start > MAX_PERIOD:
        raise InvalidInput("a situation report covers at most 366 days", field="since")
    box = parse_bbox(bbox) if bbox is not None else None
    return SitrepRequest(start, end, box, lang, fmt)


def _representative(geometry: Mapping[str, Any]) -> tuple[float, float]:
    """A point for naming where an observation is: the point, a line's last position, a ring's centre."""
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        return float(coords[0]), float(coords[1])
    if kind == "LineString":
        return float(coords[-1][0]), float(coords[-1][1])
    ring = coords[0]
    return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)


def _near(lon: float, lat: float) -> dict[str, Any] | None:
    found = nearest_town(lon, lat)
    if found is None:
        return None
    town, km = found
    return {"town": town.name, "names": town.names, "country": town.country, "km": round(km, 1)}


def _score(o: Mapping[str, Any]) -> int | None:
    """The report's own confidence for one observation (STIX mapping of its credibility)."""
    return CREDIBILITY.get(str(o["information_credibility"]))


def _row(o: Mapping[str, Any]) -> dict[str, Any]:
    lon, lat = _representative(o["geometry"])
    return {
        "observation_id": o["id"],
        "report_id": o["report_id"],
        "category": o["category"],
        "observed_at": iso(o["observed_at"]),
        "received_at": iso(o["created_at"]),
        "originator": o["originator"],
        "title": o["title"],
        "grading": f"{o['source_reliability']}{o['information_credibility']}",
        "confidence": _score(o),
        "precedence": o["precedence"],
        "subject": o["subject"],
        "lon": round(lon, 5),
        "lat": round(lat, 5),
        "geometry_type": o["geometry"]["type"],
        "near": _near(lon, lat),
    }


def _movements(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Movement and smuggling observations grouped by subject, in time order."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        if r["category"] in LINE_CATEGORIES:
            key = (r["category"], (r["subject"] or "").strip().casefold())
            groups.setdefault(key, []).append(r)
    out = []
    for (category, _), items in groups.items():
        items.sort(key=lambda r: (r["observed_at"] or r["received_at"], r["observation_id"]))
        out.append(
            {
                "category": category,
                "subject": items[0]["subject"],
                "sightings": len(items),
                "originators": sorted({r["originator"] for r in items}),
                "first_seen": items[0]["observed_at"] or items[0]["received_at"],
                "last_seen": items[-1]["observed_at"] or items[-1]["received_at"],
                "from": items[0]["near"],
                "to": items[-1]["near"],
                "reports": [r["report_id"] for r in items],
            }
        )
    out.sort(key=lambda m: (-m["sightings"], m["last_seen"] or ""))
    return out


def build(
    centre: Centre,
    audience: Collection[str],
    req: SitrepRequest,
    *,
    kind: str = "member",
    fused_viewer: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The content of a situation report for `audience`, from the reports every one of its members
    may see. `fused_viewer` adds that member's fused sites and tracks; only a single member's
    report may carry them, since fused items are computed per viewer."""
    generated = now or datetime.now(UTC)
    with centre.db.read() as conn:
        observations = store.period_observations(conn, audience, req.since, req.until, req.bbox)
        changes = store.period_changes(conn, audience, req.since, req.until, req.bbox)
        received = store.count_reports(conn, audience, req.since, req.until, req.bbox)
    truncated = len(observations) > store.MAX_OBSERVATIONS
    observations = observations[: store.MAX_OBSERVATIONS]
    rows = [_row(o) for o in observations]
    by_category = Counter(r["category"] for r in rows)
    by_area: dict[str, Counter[str]] = {}
    for r in rows:
        country = r["near"]["country"] if r["near"] else "--"
        by_area.setdefault(country, Counter())[r["category"]] += 1
    tables = {c.value: [r for r in rows if r["category"] == c.value] for c in Category}
    graded = sorted(
        (r for r in rows if r["confidence"] is not None),
        key=lambda r: (-r["confidence"], r["grading"][0], r["observation_id"]),
    )
    fused = _fused(centre, fused_viewer, req, generated) if fused_viewer else None
    features = [{"category": o["category"], "geometry": o["geometry"]} for o in observations]
    if fused is not None:
        features += [
            {"category": i["category"], "geometry": i["geometry"]}
            for i in fused["sites"] + fused["tracks"]
            if i.get("geometry")
        ]
    box = req.bbox or padded_bbox([(r["lon"], r["lat"]) for r in rows], None)
    return {
        "kind": kind,
        "audience": sorted(set(audience)),
        "generated_at": iso(generated),
        "since": iso(req.since),
        "until": iso(req.until),
        "bbox": list(req.bbox) if req.bbox else None,
        "language": req.lang,
        "dir": direction(req.lang),
        "summary": {
            "reports_received": received,
            "observations": len(rows),
            "truncated": truncated,
            "by_category": {c.value: by_category[c.value] for c in Category if by_category[c.value]},
            "by_area": [
                {"country": code, "count": sum(counts.values()), "by_category": dict(counts)}
                for code, counts in sorted(by_area.items(), key=lambda kv: -sum(kv[1].values()))
            ],
        },
        "changes": [
            {
                "report_id": c["id"],
                "originator": c["originator"],
                "title": c["title"],
                "change": "retracted" if c["retracted_at"] is not None else "corrected",
                "at": iso(c["retracted_at"] or c["created_at"]),
                "replaces": c["supersedes"],
                "reason": c["retraction_reason"],
            }
            for c in changes
        ],
        "best_graded": graded[:BEST],
        "movements": _movements(rows),
        "fused": fused,
        "tables": {k: v for k, v in tables.items() if v},
        "map_svg": render_map(features, box, towns_in(box, limit=20), outlines_in(box)),
        "legend": legend(features),
    }


def _fused(centre: Centre, viewer: str, req: SitrepRequest, now: datetime) -> dict[str, Any]:
    """The viewer's fused sites and tracks active in the period (their functions enforce visibility)."""
    from markaz.analysis.fused import FusedFilter, list_sites, list_tracks

    f = FusedFilter(bbox=req.bbox, since=req.since, until=req.until)
    sites = list_sites(centre, viewer, f, limit=MAX_FUSED + 1, now=now)["items"]
    tracks = list_tracks(centre, viewer, f, limit=MAX_FUSED + 1, now=now)["items"]
    cut = [kind for kind, items in (("sites", sites), ("tracks", tracks)) if len(items) > MAX_FUSED]
    sites, tracks = sites[:MAX_FUSED], tracks[:MAX_FUSED]
    everything = sites + tracks
    return {
        "sites": sites,
        "tracks": tracks,
        # Lists that reached MAX_FUSED: the report says it shows only the first ones.
        "cut": cut,
        "highest_confidence": sorted(
            (i for i in everything if i.get("confidence") is not None),
            key=lambda i: (-i["confidence"], i["id"]),
        )[:BEST],
        "contested": [i for i in everything if i.get("contested")],
    }


MEDIA_TYPES = {
    "json": "application/json",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


def render(data: Mapping[str, Any], fmt: str) -> bytes:
    """The report in one format: json, md, html or pdf."""
    from markaz.analysis import sitrep_render

    if fmt == "json":
        import orjson

        return orjson.dumps(data)
    if fmt == "md":
        return sitrep_render.to_markdown(data).encode("utf-8")
    if fmt == "html":
        return sitrep_render.to_html(data).encode("utf-8")
    if fmt == "pdf":
        return sitrep_render.to_pdf(data)
    raise InvalidInput(f"format must be one of {', '.join(FORMATS)}", field="format")


def member_sitrep(centre: Centre, viewer: str, req: SitrepRequest) -> tuple[str, bytes]:
    """A member's own situation report: (media type, content)."""
    data = build(centre, [viewer], req, fused_viewer=viewer)
    return MEDIA_TYPES[req.format], render(data, req.format)
