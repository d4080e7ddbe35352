"""Files for other systems: a STIX 2.1 bundle, GeoJSON, KML 2.2 and CSV, streamed page by page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import orjson

from markaz.centre import Centre
from markaz.dissemination import stix, stix_feed
from markaz.errors import InvalidInput
from markaz.storage import interop
from markaz.storage import reports as store
from markaz.storage.canonical import iso

FORMATS = {
    "stix": "application/stix+json;version=2.1",
    "geojson": "application/geo+json",
    "kml": "application/vnd.google-earth.kml+xml",
    "csv": "text/csv; charset=utf-8",
}
EXTENSIONS = {"stix": "json", "geojson": "geojson", "kml": "kml", "csv": "csv"}
_PAGE = 1000

# A report's own content: what every export format carries and collection/files.py reads back.
REPORT_FIELDS = (
    "title",
    "body",
    "language",
    "observed_at",
    "precedence",
    "source_reliability",
    "information_credibility",
    "tlp",
)
# The CSV columns, in order (docs/interop.md). One row per observation; a report without
# observations has one row with the observation columns empty. Rows of one report share `report`.
CSV_COLUMNS = [
    "report",
    "originator",
    "created_at",
    "status",
    *REPORT_FIELDS,
    "releasable_to",
    "category",
    "longitude",
    "latitude",
    "geometry",
    "observation_observed_at",
    "subject",
    "note",
]
# Free-text columns a spreadsheet could take for a formula; such a cell gets a leading "'".
CSV_TEXT_COLUMNS = frozenset({"title", "body", "subject", "note"})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# One KML style per category: colours are aabbggrr.
KML_COLOURS = {
    "position": "ff0000ff",
    "gathering": "ff00a5ff",
    "command_post": "ff800080",
    "weapons_depot": "ff00008b",
    "chemical_lab": "ff00ff00",
    "movement": "ffff0000",
    "smuggling_route": "ff008080",
    "incident": "ff00ffff",
    "other": "ff808080",
}


def check_format(value: str) -> str:
    if value not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}; got {value!r}", field="format")
    return value


def export(centre: Centre, viewer: str, fmt: str, f: store.ReportFilter) -> Iterator[bytes]:
    """The chosen file, as chunks of bytes; everything read through the viewer's visibility join."""
    check_format(fmt)
    if fmt == "stix":
        return stix_export(centre, viewer, f)
    if fmt == "csv":
        return csv_export(centre, viewer, f)
    if fmt == "kml":
        return kml_export(centre, viewer, f)
    return geojson_export(centre, viewer, f)


def stix_export(centre: Centre, viewer: str, f: store.ReportFilter) -> Iterator[bytes]:
    """A bundle of the latest version of every report the viewer may see that matches `f`.

    Without filters it also holds the viewer's comments and opinions on those reports (`note`,
    `opinion`) and its fused picture (a `grouping` per site and track)."""
    whole = f == store.ReportFilter()
    q = stix_feed.FeedQuery(scope=interop.Scope(viewer, report_filter=None if whole else f))
    name = f"export:{viewer}:{stix_feed.FeedQuery.fingerprint(q, 'export')}"
    yield b'{"type":"bundle","id":"' + stix.stix_id("bundle", name).encode() + b'","objects":['
    first = True
    start: stix_feed.Position | None = None
    while True:
        with centre.db.read() as conn:
            entries, start = stix_feed.page(conn, centre.db.dialect, q, start=start, limit=_PAGE)
        for e in entries:
            yield (b"" if first else b",") + orjson.dumps(e.obj)
            first = False
        if start is None:
            break
    if whole:
        from markaz.dissemination.stix_fused import fused_objects

        for _added, grouping in fused_objects(centre, viewer):
            yield (b"" if first else b",") + orjson.dumps(grouping)
            first = False
    yield b"]}"


def _observation_pages(centre: Centre, viewer: str, f: store.ReportFilter) -> Iterator[list[dict[str, Any]]]:
    after: int | None = None
    while True:
        with centre.db.read() as conn:
            rows = store.list_observation_rows(
                conn, centre.db.dialect, viewer, f, limit=_PAGE, after_id=after
            )
        if not rows:
            return
        yield rows
        after = rows[-1]["id"]


def _feature(o: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": o["id"],
        "geometry": o["geometry"],
        "properties": {
            "report": o["report_id"],
            "title": o["title"],
            "category": o["category"],
            "observed_at": iso(o["observed_at"]),
            "subject": o["subject"],
            "note": o["note"],
            "originator": o["originator"],
            "precedence": o["precedence"],
            "created_at": iso(o["created_at"]),
            "source_reliability": o["source_reliability"],
            "information_credibility": o["information_credibility"],
            "tlp": o["tlp"],
            "status": o["status"],
        },
    }


def geojson_export(centre: Centre, viewer: str, f: store.ReportFilter) -> Iterator[bytes]:
    """An RFC 7946 FeatureCollection: one Feature per visible observation, WGS84 lon/lat."""
    yield b'{"type":"FeatureCollection","features":['
    first = True
    for rows in _observation_pages(centre, viewer, f):
        for o in rows:
            yield (b"" if first else b",") + orjson.dumps(_feature(o))
            first = False
    yield b"]}"


def _kml_coords(positions: list[list[float]]) -> str:
    return " ".join(f"{p[0]},{p[1]}" for p in positions)


def _kml_geometry(g: dict[str, Any]) -> str:
    if g["type"] == "Point":
        return f"<Point><coordinates>{_kml_coords([g['coordinates']])}</coordinates></Point>"
    if g["type"] == "LineString":
        line = _kml_coords(g["coordinates"])
        return f"<LineString><tessellate>1</tessellate><coordinates>{line}</coordinates></LineString>"
    rings = g["coordinates"]
    inner = "".join(
        f"<innerBoundaryIs><LinearRing><coordinates>{_kml_coords(r)}</coordinates></LinearRing></innerBoundaryIs>"
        for r in rings[1:]
    )
    return (
        "<Polygon><outerBoundaryIs><LinearRing><coordinates>"
        f"{_kml_coords(rings[0])}</coordinates></LinearRing></outerBoundaryIs>{inner}</Polygon>"
    )


def kml_export(centre: Centre, viewer: str, f: store.ReportFilter) -> Iterator[bytes]:
    """KML 2.2: one Placemark per visible observation, one Style per category."""
    head = ['<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>']
    head.append(f"<name>markaz export for {escape(viewer)}</name>")
    for category, colour in KML_COLOURS.items():
        head.append(
            f'<Style id="{category}"><IconStyle><color>{colour}</color></IconStyle>'
            f"<LineStyle><color>{colour}</color><width>3</width></LineStyle>"
            f"<PolyStyle><color>7f{colour[2:]}</color></PolyStyle></Style>"
        )
    yield "".join(head).encode()
    for rows in _observation_pages(centre, viewer, f):
        parts = []
        for o in rows:
            props = _feature(o)["properties"]
            data = "".join(
                f"<Data name={quoteattr(k)}><value>{escape(str(v))}</value></Data>"
                for k, v in props.items()
                if v is not None
            )
            description = f"<description>{escape(o['note'])}</description>" if o["note"] else ""
            parts.append(
                f'<Placemark id="observation-{o["id"]}"><name>{escape(o["title"])}</name>{description}'
                f"<styleUrl>#{o['category']}</styleUrl><ExtendedData>{data}</ExtendedData>"
                f"{_kml_geometry(o['geometry'])}</Placemark>"
            )
        yield "".join(parts).encode()
    yield b"</Document></kml>\n"


def _safe_cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if column in CSV_TEXT_COLUMNS and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _csv_line(values: dict[str, Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([_safe_cell(c, values.get(c)) for c in CSV_COLUMNS])
    return buffer.getvalue().encode()


def csv_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The CSV rows of one report as `store.public_report` gives it."""
    base = {
        "report": report["id"],
        "originator": report["originator"],
        "created_at": report["created_at"],
        "status": report["status"],
        "title": report["title"],
        "body": report["body"],
        "language": report["language"],
        "observed_at": report["observed_at"],
        "precedence": report["precedence"],
        "source_reliability": report["source_reliability"],
        "information_credibility": report["information_credibility"],
        "tlp": report["tlp"],
        "releasable_to": " ".join(report["releasable_to"]),
    }
    if not report["observations"]:
        return [base]
    out = []
    for o in report["observations"]:
        g = o["geometry"]
        point = g["type"] == "Point"
        out.append(
            base
            | {
                "category": o["category"],
                "longitude": g["coordinates"][0] if point else None,
                "latitude": g["coordinates"][1] if point else None,
                "geometry": None if point else orjson.dumps(g).decode(),
                "observation_observed_at": o["observed_at"],
                "subject": o["subject"],
                "note": o["note"],
            }
        )
    return out


def csv_export(centre: Centre, viewer: str, f: store.ReportFilter) -> Iterator[bytes]:
    """CSV (RFC 4180, UTF-8 with a byte-order mark for spreadsheets), newest report first."""
    from markaz.dissemination import pull

    yield "\ufeff".encode() + _csv_line({c: c for c in CSV_COLUMNS})
    cursor: str | None = None
    while True:
        listed = pull.list_reports(centre, viewer, f, limit=_PAGE, cursor=cursor)
        yield b"".join(_csv_line(line) for report in listed["items"] for line in csv_rows(report))
        cursor = listed["next_cursor"]
        if cursor is None:
            break
