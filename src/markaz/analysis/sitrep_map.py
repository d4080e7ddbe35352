"""The situation report's map, drawn as SVG from the data alone: no tiles, nothing downloaded."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from markaz.analysis.sitrep_places import Outline, Town

BBox = tuple[float, float, float, float]

# category -> (shape, colour); lines use the colour and the dash pattern.
STYLES: dict[str, tuple[str, str]] = {
    "position": ("circle", "#1f5fa8"),
    "gathering": ("ring", "#e07b00"),
    "command_post": ("square", "#b3001b"),
    "weapons_depot": ("triangle", "#7a1f00"),
    "chemical_lab": ("diamond", "#6a1b9a"),
    "incident": ("cross", "#222222"),
    "movement": ("line", "#1b7f3b"),
    "smuggling_route": ("dashed", "#8d5a00"),
    "other": ("dot", "#666666"),
}
DASHES = {"movement": "", "smuggling_route": "6 4"}
WIDTH = 900
MARGIN = 46


def _nice_step(span: float, target: int = 6) -> float:
    for step in (0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 45):
        if span / step <= target:
            return step
    return 90


def padded_bbox(points: Iterable[tuple[float, float]], given: BBox | None) -> BBox:
    """The box drawn: the one asked for, else the data's extent with a margin (at least 0.5°)."""
    if given is not None:
        return given
    pts = list(points)
    if not pts:
        return (35.0, 29.0, 49.0, 38.0)  # the region the centre covers, when nothing is visible
    lons = [p[0] for p in pts]
    lats = [p[1] for p in pts]
    cx, cy = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2
    half_w = max((max(lons) - min(lons)) / 2 * 1.15, 0.25)
    half_h = max((max(lats) - min(lats)) / 2 * 1.15, 0.25)
    return (
        max(-180.0, cx - half_w),
        max(-85.0, cy - half_h),
        min(180.0, cx + half_w),
        min(85.0, cy + half_h),
    )


class Projection:
    """Equirectangular with the box's middle latitude as standard parallel: distances along it are true."""

    def __init__(self, bbox: BBox, width: int = WIDTH) -> None:
        self.bbox = bbox
        min_lon, min_lat, max_lon, max_lat = bbox
        self.k = math.cos(math.radians((min_lat + max_lat) / 2))
        span_x = max(max_lon - min_lon, 1e-6) * self.k
        span_y = max(max_lat - min_lat, 1e-6)
        # px per degree of latitude: the width fills the page unless the box is very tall.
        self.scale = min((width - 2 * MARGIN) / span_x, 900.0 / span_y)
        self.inner_w = span_x * self.scale
        self.inner_h = span_y * self.scale
        self.width = int(self.inner_w + 2 * MARGIN)
        self.height = int(self.inner_h + 2 * MARGIN)

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        min_lon, _, _, max_lat = self.bbox
        return (MARGIN + (lon - min_lon) * self.k * self.scale, MARGIN + (max_lat - lat) * self.scale)

    def km_per_px(self) -> float:
        return 111.32 / self.scale


def _symbol(shape: str, colour: str, x: float, y: float, r: float = 5.0) -> str:
    if shape in ("circle", "dot"):
        radius = r if shape == "circle" else r * 0.7
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{colour}"/>'
    if shape == "ring":
        return (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="none" stroke="{colour}" '
            'stroke-width="2.2"/>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.6" fill="{colour}"/>'
        )
    if shape == "square":
        side = 2 * r
        return (
            f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{side:.1f}" height="{side:.1f}" fill="{colour}"/>'
        )
    if shape == "triangle":
        return (
            f'<polygon points="{x:.1f},{y - r * 1.2:.1f} {x - r:.1f},{y + r * 0.8:.1f} '
            f'{x + r:.1f},{y + r * 0.8:.1f}" fill="{colour}"/>'
        )
    if shape == "diamond":
        return (
            f'<polygon points="{x:.1f},{y - r * 1.2:.1f} {x + r:.1f},{y:.1f} {x:.1f},{y + r * 1.2:.1f} '
            f'{x - r:.1f},{y:.1f}" fill="{colour}"/>'
        )
    if shape == "cross":
        return (
            f'<path d="M{x - r:.1f},{y - r:.1f}L{x + r:.1f},{y + r:.1f}M{x + r:.1f},{y - r:.1f}'
            f'L{x - r:.1f},{y + r:.1f}" stroke="{colour}" stroke-width="2.4"/>'
        )
    # lines (movement, smuggling) in the legend: a short stroke
    dash = DASHES.get("smuggling_route") if shape == "dashed" else ""
    return (
        f'<path d="M{x - 2 * r:.1f},{y:.1f}L{x + 2 * r:.1f},{y:.1f}" stroke="{colour}" stroke-width="2.5"'
        + (f' stroke-dasharray="{dash}"' if dash else "")
        + "/>"
    )


def _geometry(proj: Projection, category: str, geometry: Mapping[str, Any]) -> str:
    shape, colour = STYLES.get(category, STYLES["other"])
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        x, y = proj.xy(coords[0], coords[1])
        # Lines' categories seen as points (a sighting of a moving group) get a filled circle.
        return _symbol("circle" if shape in ("line", "dashed") else shape, colour, x, y)
    if kind == "LineString":
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (proj.xy(c[0], c[1]) for c in coords))
        dash = DASHES.get(category, "4 3")
        end_x, end_y = proj.xy(coords[-1][0], coords[-1][1])
        return (
            f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2.5"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + f' marker-end="url(#arrow)"/><circle cx="{end_x:.1f}" cy="{end_y:.1f}" r="2" fill="{colour}"/>'
        )
    if kind == "Polygon":
        d = " ".join(
            "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in (proj.xy(c[0], c[1]) for c in ring)) + "Z"
            for ring in coords
        )
        return f'<path d="{d}" fill="{colour}" fill-opacity="0.25" stroke="{colour}" stroke-width="1.5"/>'
    return ""


def _graticule(proj: Projection) -> list[str]:
    min_lon, min_lat, max_lon, max_lat = proj.bbox
    step = _nice_step(max(max_lon - min_lon, max_lat - min_lat))
    out = ['<g class="graticule" stroke="#b9c4cf" stroke-width="0.7" font-size="10" fill="#556">']
    top, bottom = proj.xy(min_lon, max_lat)[1], proj.xy(min_lon, min_lat)[1]
    left, right = proj.xy(min_lon, min_lat)[0], proj.xy(max_lon, min_lat)[0]
    lon = math.ceil(min_lon / step) * step
    while lon <= max_lon + 1e-9:
        x = proj.xy(lon, min_lat)[0]
        out.append(f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}"/>')
        out.append(
            f'<text x="{x:.1f}" y="{bottom + 14:.1f}" text-anchor="middle" stroke="none">'
            f"{abs(lon):g}°{'E' if lon >= 0 else 'W'}</text>"
        )
        lon += step
    lat = math.ceil(min_lat / step) * step
    while lat <= max_lat + 1e-9:
        y = proj.xy(min_lon, lat)[1]
        out.append(f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}"/>')
        out.append(
            f'<text x="{left - 4:.1f}" y="{y + 3:.1f}" text-anchor="end" stroke="none">'
            f"{abs(lat):g}°{'N' if lat >= 0 else 'S'}</text>"
        )
        lat += step
    out.append("</g>")
    return out


def _scale_bar(proj: Projection) -> str:
    target = proj.inner_w / 5 * proj.km_per_px()
    length = next(
        (v for v in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000) if v >= target * 0.6), 5000
    )
    px = length / proj.km_per_px()
    x0, y0 = MARGIN + 8, MARGIN + proj.inner_h - 14
    return (
        f'<g class="scale" font-size="11" fill="#222">'
        f'<rect x="{x0 - 4:.1f}" y="{y0 - 16:.1f}" width="{px + 60:.1f}" height="26" fill="#ffffff" '
        f'fill-opacity="0.8"/>'
        f'<path d="M{x0:.1f},{y0:.1f}h{px:.1f}M{x0:.1f},{y0 - 5:.1f}v10M{x0 + px:.1f},{y0 - 5:.1f}v10" '
        f'stroke="#222" stroke-width="2"/>'
        f'<text x="{x0 + px + 6:.1f}" y="{y0 + 4:.1f}">{length:g} km</text></g>'
    )


def _north(proj: Projection) -> str:
    x, y = MARGIN + proj.inner_w - 20, MARGIN + 14
    return (
        f'<g class="north"><polygon points="{x},{y - 10} {x - 6},{y + 8} {x},{y + 3} {x + 6},{y + 8}" '
        f'fill="#222"/><text x="{x}" y="{y + 22}" font-size="11" text-anchor="middle">N</text></g>'
    )


def legend(features: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The categories drawn, with their symbol: the legend is set as text next to the map, where
    Arabic and Persian get the full bidirectional layout (SVG text in PDF renderers does not)."""
    present = {str(f["category"]) for f in features}
    return [
        {"category": c, "shape": shape, "colour": colour, "symbol": symbol_svg(c)}
        for c, (shape, colour) in STYLES.items()
        if c in present
    ]


def symbol_svg(category: str) -> str:
    shape, colour = STYLES.get(category, STYLES["other"])
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="14" viewBox="0 0 24 14">'
        + _symbol(shape, colour, 12, 7)
        + "</svg>"
    )


def _outline(proj: Projection, outline: Outline) -> str:
    geometry = outline.geometry
    coords: Any = geometry["coordinates"]
    polygons = coords if geometry["type"] == "MultiPolygon" else [coords]
    d = " ".join(
        "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in (proj.xy(p[0], p[1]) for p in ring)) + "Z"
        for polygon in polygons
        for ring in polygon
    )
    return f'<path d="{d}"><title>{escape(outline.country)}</title></path>'


def render_map(
    features: Sequence[Mapping[str, Any]],
    bbox: BBox | None,
    towns: Sequence[Town] = (),
    outlines: Sequence[Outline] = (),
) -> str:
    """SVG of `features` ({category, geometry}) in `bbox` (or their extent): frame, graticule,
    scale bar, north arrow, country outlines (coarse: orientation, not boundaries of record) and
    reference towns (their GeoNames names, in Latin script, so the drawing holds no
    right-to-left text)."""
    points = [
        (c[0], c[1])
        for f in features
        for c in (
            [f["geometry"]["coordinates"]]
            if f["geometry"]["type"] == "Point"
            else f["geometry"]["coordinates"]
            if f["geometry"]["type"] == "LineString"
            else [p for ring in f["geometry"]["coordinates"] for p in ring]
        )
    ]
    box = padded_bbox(points, bbox)
    proj = Projection(box)
    w, h = proj.width, proj.height
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sitrep-map" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" font-family="Noto Sans, DejaVu Sans, sans-serif" role="img">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="9" markerHeight="9" '
        'markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        '<path d="M0,0L10,5L0,10z" fill="#333"/></marker>'
        f'<clipPath id="frame"><rect x="{MARGIN}" y="{MARGIN}" width="{proj.inner_w:.1f}" '
        f'height="{proj.inner_h:.1f}"/></clipPath></defs>',
        f'<rect x="{MARGIN}" y="{MARGIN}" width="{proj.inner_w:.1f}" height="{proj.inner_h:.1f}" '
        'fill="#e8f0f5" stroke="none"/>',
        '<g clip-path="url(#frame)">',
        '<g class="countries" fill="#fbfaf3" stroke="#9a8f7a" stroke-width="0.8" stroke-linejoin="round">',
        *(_outline(proj, o) for o in outlines),
        "</g></g>",
        *_graticule(proj),
        f'<rect x="{MARGIN}" y="{MARGIN}" width="{proj.inner_w:.1f}" height="{proj.inner_h:.1f}" '
        'fill="none" stroke="#333" stroke-width="1.2"/>',
        '<g clip-path="url(#frame)">',
        '<g class="towns" font-size="10" fill="#555">',
    ]
    for town in towns:
        x, y = proj.xy(town.lon, town.lat)
        out.append(
            f'<rect x="{x - 2:.1f}" y="{y - 2:.1f}" width="4" height="4" fill="#888"/>'
            f'<text x="{x + 5:.1f}" y="{y - 3:.1f}">{escape(town.name)}</text>'
        )
    out.append("</g>")
    # Areas first, then lines, then points, so nothing small hides under something large.
    order = {"Polygon": 0, "LineString": 1, "Point": 2}
    for f in sorted(features, key=lambda f: order.get(f["geometry"]["type"], 3)):
        category = str(f["category"])
        title = f"<title>{escape(str(f.get('label') or category))}</title>"
        out.append(
            f"<g class={quoteattr('cat-' + category)}>{title}{_geometry(proj, category, f['geometry'])}</g>"
        )
    out.append("</g>")
    out.append(_scale_bar(proj))
    out.append(_north(proj))
    out.append("</svg>")
    return "".join(out)
