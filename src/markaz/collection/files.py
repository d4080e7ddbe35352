"""Files from other systems (STIX, GeoJSON, KML, CSV), recognised by content and submitted through intake."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from markaz.centre import Centre
from markaz.collection import intake, stix_import
from markaz.dissemination.exports import CSV_COLUMNS, CSV_TEXT_COLUMNS, REPORT_FIELDS
from markaz.domain.enums import Category
from markaz.errors import InvalidInput, MalformedBody
from markaz.storage.principals import Principal

KML_NS = "{http://www.opengis.net/kml/2.2}"


@dataclass
class FileImport:
    """What became of a file: one line per item (report, feature, placemark, row group or object)."""

    format: str
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    lines: list[tuple[str, bool, str]] = field(default_factory=list)  # (item, imported, message)

    @property
    def failed(self) -> int:
        return sum(1 for _, ok, _ in self.lines if not ok)


def detect(data: bytes) -> str:
    """stix, geojson, kml or csv, from the content alone."""
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        return "kml"
    if text.startswith((b"{", b"[")):
        try:
            doc = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise MalformedBody(f"the file looks like JSON but is not valid JSON: {exc}") from None
        if isinstance(doc, dict) and doc.get("type") in ("FeatureCollection", "Feature"):
            return "geojson"
        if isinstance(doc, dict) and (doc.get("type") == "bundle" or "objects" in doc):
            return "stix"
        raise InvalidInput(
            "a JSON file must be a STIX bundle, a TAXII envelope or a GeoJSON FeatureCollection"
        )
    first = text.split(b"\n", 1)[0].decode("utf-8", "replace").lower()
    if "title" in first and "," in first:
        return "csv"
    raise InvalidInput("the file is not STIX, GeoJSON, KML or CSV with a header row naming 'title'")


def _group(
    keyed: Iterable[tuple[str, dict[str, Any], dict[str, Any] | None]],
) -> list[tuple[str, dict[str, Any]]]:
    """Rows or features of one report (same key) become one report with several observations."""
    reports: dict[str, dict[str, Any]] = {}
    for key, fields, observation in keyed:
        report = reports.setdefault(key, {**fields, "observations": []})
        if observation is not None:
            report["observations"].append(observation)
    return list(reports.items())


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "")}


def _observation(
    category: Any, geometry: Any, observed_at: Any = None, subject: Any = None, note: Any = None
) -> dict[str, Any]:
    return _clean(
        {
            "category": category or "other",
            "geometry": geometry,
            "observed_at": observed_at,
            "subject": subject,
            "note": note,
        }
    )


def _unquote(column: str, value: str) -> str:
    # The export protects spreadsheet cells that could start a formula with a leading "'".
    if (
        column in CSV_TEXT_COLUMNS
        and value.startswith("'")
        and value[1:2] in ("=", "+", "-", "@", "\t", "\r")
    ):
        return value[1:]
    return value


def _csv_geometry(row: dict[str, str], n: int) -> Any:
    """A row's place: its `geometry` column (GeoJSON) if filled, else longitude and latitude."""
    if row.get("geometry"):
        try:
            return orjson.loads(row["geometry"])
        except orjson.JSONDecodeError:
            raise InvalidInput(f"line {n}: geometry is not GeoJSON", field=f"line {n}.geometry") from None
    try:
        point = [float(row["longitude"]), float(row["latitude"])]
    except (KeyError, ValueError):
        raise InvalidInput(f"line {n}: longitude and latitude must be numbers", field=f"line {n}") from None
    return {"type": "Point", "coordinates": point}


def parse_csv(data: bytes) -> list[tuple[str, dict[str, Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MalformedBody("the CSV file is not UTF-8") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or "title" not in reader.fieldnames:
        raise InvalidInput("the CSV header must name a 'title' column (see docs/interop.md)")
    unknown = [c for c in reader.fieldnames if c not in CSV_COLUMNS]
    if unknown:
        raise InvalidInput(
            f"unknown CSV column(s): {', '.join(unknown)}; the columns are {', '.join(CSV_COLUMNS)}"
        )
    keyed = []
    for n, raw in enumerate(reader, start=2):
        row = {k: _unquote(k, v or "") for k, v in raw.items() if k is not None}
        fields = _clean({k: row.get(k) for k in REPORT_FIELDS})
        if row.get("releasable_to"):
            fields["releasable_to"] = row["releasable_to"].split()
        observation = None
        if row.get("geometry") or row.get("longitude") or row.get("latitude"):
            observation = _observation(
                row.get("category"),
                _csv_geometry(row, n),
                row.get("observation_observed_at"),
                row.get("subject"),
                row.get("note"),
            )
        keyed.append((row.get("report") or f"line {n}", fields, observation))
    return _group(keyed)


def parse_geojson(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    features = [doc] if doc.get("type") == "Feature" else doc.get("features")
    if not isinstance(features, list):
        raise InvalidInput("a FeatureCollection needs a 'features' list", field="features")
    keyed = []
    for n, feature in enumerate(features):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise InvalidInput(f"features.{n} is not a GeoJSON Feature", field=f"features.{n}")
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise InvalidInput(f"features.{n}.properties must be an object", field=f"features.{n}.properties")
        fields = _clean({k: props.get(k) for k in REPORT_FIELDS})
        fields.setdefault("title", props.get("name") or "")
        observation = _observation(
            props.get("category"),
            feature.get("geometry"),
            props.get("observed_at"),
            props.get("subject"),
            props.get("note"),
        )
        keyed.append((str(props.get("report") or f"feature {n}"), fields, observation))
    return _group(keyed)


def _kml_positions(text: str | None) -> list[list[float]]:
    positions = []
    for chunk in (text or "").split():
        parts = chunk.split(",")
        try:
            positions.append([float(parts[0]), float(parts[1])])
        except (IndexError, ValueError):
            raise InvalidInput(f"KML coordinates {chunk!r} are not lon,lat[,alt]") from None
    return positions


def _kml_geometry(placemark: ET.Element) -> dict[str, Any] | None:
    point = placemark.find(f".//{KML_NS}Point/{KML_NS}coordinates")
    if point is not None:
        positions = _kml_positions(point.text)
        if len(positions) != 1:
            raise InvalidInput(f"a KML Point needs exactly one lon,lat position, not {len(positions)}")
        return {"type": "Point", "coordinates": positions[0]}
    line = placemark.find(f".//{KML_NS}LineString/{KML_NS}coordinates")
    if line is not None:
        return {"type": "LineString", "coordinates": _kml_positions(line.text)}
    polygon = placemark.find(f".//{KML_NS}Polygon")
    if polygon is not None:
        rings = [polygon.find(f"{KML_NS}outerBoundaryIs/{KML_NS}LinearRing/{KML_NS}coordinates")]
        rings += polygon.findall(f"{KML_NS}innerBoundaryIs/{KML_NS}LinearRing/{KML_NS}coordinates")
        return {"type": "Polygon", "coordinates": [_kml_positions(r.text) for r in rings if r is not None]}
    return None


def parse_kml(data: bytes) -> list[tuple[str, dict[str, Any]]]:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise InvalidInput("KML files with a DOCTYPE or entities are refused")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise MalformedBody(f"the KML file is not well-formed XML: {exc}") from None
    if root.tag != f"{KML_NS}kml":
        raise InvalidInput("the XML file is not KML 2.2 (root element kml in the OGC KML 2.2 namespace)")
    keyed = []
    for n, placemark in enumerate(root.iter(f"{KML_NS}Placemark")):
        data_fields = {
            d.get("name"): (d.findtext(f"{KML_NS}value") or "") for d in placemark.iter(f"{KML_NS}Data")
        }
        fields = _clean({k: data_fields.get(k) for k in REPORT_FIELDS})
        fields["title"] = data_fields.get("title") or placemark.findtext(f"{KML_NS}name") or ""
        geometry = _kml_geometry(placemark)
        note = data_fields.get("note") or placemark.findtext(f"{KML_NS}description")
        style = (placemark.findtext(f"{KML_NS}styleUrl") or "").lstrip("#")
        # A markaz KML names the category in its data and style; another producer's style is not one.
        category = data_fields.get("category") or (style if style in set(Category) else "other")
        observation = None
        if geometry is not None:
            observation = _observation(
                category, geometry, data_fields.get("observed_at"), data_fields.get("subject"), note
            )
        keyed.append((data_fields.get("report") or f"placemark {n}", fields, observation))
    return _group(keyed)


def _submit(
    centre: Centre, principal: Principal, fmt: str, reports: Sequence[tuple[str, dict[str, Any]]]
) -> FileImport:
    result = FileImport(fmt)
    if not reports:
        raise InvalidInput("the file holds no report")
    limit = centre.settings.max_batch_items
    for start in range(0, len(reports), limit):
        chunk = reports[start : start + limit]
        for key, payload in chunk:
            # Importing the same file again finds the same reports instead of storing copies.
            payload.setdefault("client_ref", f"import:{fmt}:{key}"[:200])
        outcomes = intake.submit(centre, principal, [p for _, p in chunk])
        for (key, _), r in zip(chunk, outcomes, strict=True):
            if r.error is not None:
                result.lines.append((key, False, r.error.message))
            else:
                assert r.id is not None
                (result.created if r.status == "created" else result.existing).append(r.id)
                result.lines.append((key, True, f"{r.status} {r.id}"))
    return result


def import_file(centre: Centre, principal: Principal, data: bytes) -> FileImport:
    """Recognise the format, parse the whole file (a malformed file stores nothing), then submit."""
    intake.require_writer(principal)
    fmt = detect(data)
    if fmt == "stix":
        outcome = stix_import.import_document(centre, principal, orjson.loads(data))
        result = FileImport(fmt, outcome.created, outcome.existing)
        result.lines = [(o.id, o.imported, o.message) for o in outcome.outcomes]
        return result
    if fmt == "geojson":
        return _submit(centre, principal, fmt, parse_geojson(orjson.loads(data)))
    if fmt == "kml":
        return _submit(centre, principal, fmt, parse_kml(data))
    return _submit(centre, principal, fmt, parse_csv(data))
