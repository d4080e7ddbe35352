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


def _ring(x: float, y: float, r: float) -> str:
    """A circle as two arcs, so any number of them fit in one path."""
    return f"M{x - r:.1f},{y:.1f}a{r:.1f},{r:.1f} 0 1,0 {2 * r:.1f},0a{r:.1f},{r:.1f} 0 1,0 {-2 * r:.1f},0Z"


def _marks(shape: str, x: float, y: float, r: float = 5.0) -> tuple[str, str]:
    """One point's symbol as path data: (filled part, stroked part)."""
    if shape == "circle":
        return _ring(x, y, r), ""
    if shape == "dot":
        return _ring(x, y, r * 0.7), ""
    if shape == "ring":
        return _ring(x, y, 1.6), _ring(x, y, r)
    if shape == "square":
        return f"M{x - r:.1f},{y - r:.1f}h{2 * r:.1f}v{2 * r:.1f}h{-2 * r:.1f}Z", ""
    if shape == "triangle":
        return f"M{x:.1f},{y - r * 1.2:.1f}L{x - r:.1f},{y + r * 0.8:.1f}L{x + r:.1f},{y + r * 0.8:.1f}Z", ""
    if shape == "diamond":
        return (
            f"M{x:.1f},{y - r * 1.2:.1f}L{x + r:.1f},{y:.1f}L{x:.1f},{y + r * 1.2:.1f}L{x - r:.1f},{y:.1f}Z",
            "",
        )
    if shape == "cross":
        return (
            "",
            f"M{x - r:.1f},{y - r:.1f}L{x + r:.1f},{y + r:.1f}"
            f"M{x + r:.1f},{y - r:.1f}L{x - r:.1f},{y + r:.1f}",
        )
    # a line category in the legend: a short stroke
    return "", f"M{x - 2 * r:.1f},{y:.1f}L{x + 2 * r:.1f},{y:.1f}"


_STROKE_WIDTH = {"ring": 2.2, "cross": 2.4, "line": 2.5, "dashed": 2.5}


def _paths(category: str, fill: Sequence[str], stroke: Sequence[str], shape: str | None = None) -> str:
    """Path elements for many symbols of one category: one filled, one stroked."""
    symbol_shape, colour = STYLES.get(category, STYLES["other"])
    shape = shape or symbol_shape
    out = ""
    if fill:
        out += f'<path d="{"".join(fill)}" fill="{colour}"/>'
    if stroke:
        dash = DASHES.get("smuggling_route") if shape == "dashed" else ""
        out += (
            f'<path d="{"".join(stroke)}" fill="none" stroke="{colour}" '
            f'stroke-width="{_STROKE_WIDTH.get(shape, 2.5)}"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + "/>"
        )
    return out


def _arrowhead(end: tuple[float, float], before: tuple[float, float]) -> str:
    """A filled arrowhead at a line's last position, along its last segment."""
    dx, dy = end[0] - before[0], end[1] - before[1]
    length = math.hypot(dx, dy)
    if length < 1e-6:
        return ""
    ux, uy = dx / length, dy / length
    tip = (end[0] + 2 * ux, end[1] + 2 * uy)
    base = (end[0] - 7 * ux, end[1] - 7 * uy)
    return (
        f"M{tip[0]:.1f},{tip[1]:.1f}L{base[0] - 4.5 * uy:.1f},{base[1] + 4.5 * ux:.1f}"
        f"L{base[0] + 4.5 * uy:.1f},{base[1] - 4.5 * ux:.1f}Z"
    )


def _layers(proj: Projection, features: Sequence[Mapping[str, Any]]) -> list[str]:
    """The features as three layers, areas under lines under points, so nothing small hides under
    something large; in each, one group per category holding a few paths, whatever the number of
    features (a path element per feature made large reports slow to print)."""
    areas: dict[str, list[str]] = {}
    lines: dict[str, list[str]] = {}
    heads: dict[str, list[str]] = {}
    fills: dict[str, list[str]] = {}
    strokes: dict[str, list[str]] = {}
    for f in features:
        category = str(f["category"])
        shape = STYLES.get(category, STYLES["other"])[0]
        kind, coords = f["geometry"]["type"], f["geometry"]["coordinates"]
        if kind == "Point":
            x, y = proj.xy(coords[0], coords[1])
            # Lines' categories seen as points (a sighting of a moving group) get a filled circle.
            fill, stroke = _marks("circle" if shape in ("line", "dashed") else shape, x, y)
            if fill:
                fills.setdefault(category, []).append(fill)
            if stroke:
                strokes.setdefault(category, []).append(stroke)
        elif kind == "LineString" and len(coords) >= 2:
            pts = [proj.xy(c[0], c[1]) for c in coords]
            lines.setdefault(category, []).append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in pts))
            heads.setdefault(category, []).append(_arrowhead(pts[-1], pts[-2]))
        elif kind == "Polygon":
            areas.setdefault(category, []).append(
                "".join(
                    "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in (proj.xy(c[0], c[1]) for c in ring)) + "Z"
                    for ring in coords
                )
            )
    out: list[str] = []
    for category, d in areas.items():
        colour = STYLES.get(category, STYLES["other"])[1]
        out.append(
            f'<g class={quoteattr("cat-" + category)}><path d="{"".join(d)}" fill="{colour}" '
            f'fill-opacity="0.25" stroke="{colour}" stroke-width="1.5"/></g>'
        )
    for category, d in lines.items():
        colour = STYLES.get(category, STYLES["other"])[1]
        dash = DASHES.get(category, "4 3")
        out.append(
            f'<g class={quoteattr("cat-" + category)}><path d="{"".join(d)}" fill="none" '
            f'stroke="{colour}" stroke-width="2.5" stroke-linejoin="round"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + f'/><path d="{"".join(heads[category])}" fill="#333"/></g>'
        )
    for category in {**fills, **strokes}:
        out.append(
            f"<g class={quoteattr('cat-' + category)}>"
            + _paths(category, fills.get(category, []), strokes.get(category, []))
            + "</g>"
        )
    return out


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
    shape = STYLES.get(category, STYLES["other"])[0]
    fill, stroke = _marks(shape, 12, 7)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="14" viewBox="0 0 24 14">'
        + _paths(category, [fill] if fill else [], [stroke] if stroke else [])
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
        f'<defs><clipPath id="frame"><rect x="{MARGIN}" y="{MARGIN}" width="{proj.inner_w:.1f}" '
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
    out += _layers(proj, features)
    out.append("</g>")
    out.append(_scale_bar(proj))
    out.append(_north(proj))
    out.append("</svg>")
    return "".join(out)
