"""Fuzzing the file parsers (STIX, GeoJSON, KML, CSV): a result or a MarkazError, never a crash.

Whatever a parser returns then goes through the same validation as the API
(ReportCreate): that must answer valid or a ValidationError, nothing else.
"""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from markaz.collection import files, stix_import
from markaz.domain.models import ReportCreate
from markaz.errors import MarkazError

FIXTURES = Path(__file__).resolve().parent.parent / "interop" / "fixtures"

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=25,
)
TITLES = st.one_of(st.text(max_size=40), st.sampled_from(["تجمع", "Raqqa", "", " ", "\u202eevil", "a\x00b"]))
COORDS = st.lists(st.one_of(st.floats(), st.integers(-1000, 1000), st.text(max_size=5)), max_size=4)


def _validated(parsed: list[tuple[str, dict[str, Any]]]) -> None:
    assert isinstance(parsed, list)
    for _key, report in parsed:
        with contextlib.suppress(ValidationError):
            ReportCreate.model_validate(report)


def _parse(fn: Any, arg: Any) -> None:
    try:
        parsed = fn(arg)
    except MarkazError:
        return
    _validated(parsed)


@settings(max_examples=300)
@given(data=st.binary(max_size=3000))
def test_detect_and_parse_any_bytes(data: bytes) -> None:
    try:
        kind = files.detect(data)
    except MarkazError:
        return
    if kind == "kml":
        _parse(files.parse_kml, data)
    elif kind == "csv":
        _parse(files.parse_csv, data)


@settings(max_examples=200)
@given(
    features=st.lists(
        st.fixed_dictionaries(
            {"type": st.sampled_from(["Feature", "feature", 1])},
            optional={
                "geometry": st.one_of(
                    JSON,
                    st.fixed_dictionaries(
                        {
                            "type": st.sampled_from(["Point", "LineString", "Polygon", "Circle"]),
                            "coordinates": COORDS,
                        }
                    ),
                ),
                "properties": st.one_of(
                    JSON,
                    st.fixed_dictionaries(
                        {"title": TITLES},
                        optional={
                            "category": st.sampled_from(["gathering", "weapons_depot", "x", ""]),
                            "observed_at": st.one_of(st.text(max_size=30), st.just("2015-09-12T00:00:00Z")),
                            "report": JSON,
                            "precedence": JSON,
                            "releasable_to": JSON,
                        },
                    ),
                ),
            },
        ),
        max_size=6,
    ),
    extra=JSON,
)
def test_geojson(features: list[dict[str, Any]], extra: Any) -> None:
    _parse(files.parse_geojson, {"type": "FeatureCollection", "features": features})
    _parse(files.parse_geojson, {"type": "FeatureCollection", "features": extra})
    # And through detect, as a file.
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    try:
        kind = files.detect(data)  # NaN and Infinity are not JSON: refused here
    except MarkazError:
        return
    assert kind == "geojson"
    _parse(files.parse_geojson, json.loads(data))


@settings(max_examples=200)
@given(
    placemarks=st.lists(
        st.tuples(TITLES, st.text(max_size=60), st.sampled_from(["Point", "LineString", "Polygon", "Nope"])),
        max_size=5,
    ),
    junk=st.text(max_size=50),
)
def test_kml(placemarks: list[tuple[str, str, str]], junk: str) -> None:
    def esc(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;")

    body = "".join(
        f"<Placemark><name>{esc(t)}</name><{g}><coordinates>{esc(c)}</coordinates></{g}></Placemark>"
        for t, c, g in placemarks
    )
    doc = f'<kml xmlns="http://www.opengis.net/kml/2.2"><Document>{body}{esc(junk)}</Document></kml>'
    _parse(files.parse_kml, doc.encode("utf-8", "surrogatepass"))
    _parse(files.parse_kml, (doc + junk).encode("utf-8", "surrogatepass"))


def test_kml_entities_are_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b'<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>&b;</name></Document></kml>'
    )
    try:
        files.parse_kml(bomb)
    except MarkazError as exc:
        assert "DOCTYPE" in exc.message
    else:
        raise AssertionError("a KML with entities was parsed")


@settings(max_examples=200)
@given(
    header=st.lists(
        st.sampled_from(["title", "body", "lat", "lon", "category", "report", "x", ""]), max_size=6
    ),
    rows=st.lists(st.lists(st.text(max_size=15), max_size=7), max_size=6),
)
def test_csv(header: list[str], rows: list[list[str]]) -> None:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    _parse(files.parse_csv, out.getvalue().encode("utf-8", "surrogatepass"))


def _stix_objects() -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for name in ("opencti_report.json", "misp_event.json"):
        objects += json.loads((FIXTURES / name).read_text(encoding="utf-8"))["objects"]
    return objects


STIX_OBJECTS = _stix_objects()


@settings(max_examples=200)
@given(
    picks=st.lists(st.integers(0, len(STIX_OBJECTS) - 1), max_size=8),
    mutations=st.lists(st.tuples(st.integers(0, 7), st.text(max_size=12), JSON), max_size=6),
    envelope=st.sampled_from(["bundle", None, "indicator"]),
)
def test_stix_bundles(picks: list[int], mutations: list[tuple[int, str, Any]], envelope: str | None) -> None:
    objects = [copy.deepcopy(STIX_OBJECTS[i]) for i in picks]
    for position, key, value in mutations:
        if objects:
            target = objects[position % len(objects)]
            # Replace an existing field (most often) or add a new one.
            keys = list(target)
            target[keys[hash(key) % len(keys)] if keys and len(key) % 3 else key] = value
    doc: dict[str, Any] = {"objects": objects}
    if envelope:
        doc["type"] = envelope
    try:
        checked = stix_import.check_envelope(doc)
        items, _skipped = stix_import.plan(checked, "IQ")
    except MarkazError:
        return
    assert isinstance(items, list)


@settings(max_examples=100)
@given(doc=JSON)
def test_stix_any_json(doc: Any) -> None:
    try:
        checked = stix_import.check_envelope(doc)
        stix_import.plan(checked, "IQ")
    except MarkazError:
        pass


def test_kml_point_without_position_is_a_clear_error() -> None:
    # Found by test_kml: an empty Point made parse_kml fail with IndexError (a 500 on import).
    doc = (
        b'<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>x</name>'
        b"<Point><coordinates> </coordinates></Point></Placemark></Document></kml>"
    )
    try:
        files.parse_kml(doc)
    except MarkazError as exc:
        assert "exactly one" in exc.message
    else:
        raise AssertionError("an empty KML Point was accepted")
