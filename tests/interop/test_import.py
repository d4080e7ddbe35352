"""Imports: STIX bundles shaped like OpenCTI and MISP exports, bad bundles, file round trips, the CLI."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from markaz.centre import Centre
from markaz.cli import build_app
from markaz.collection import files, stix_import
from markaz.dissemination import exports
from markaz.dissemination.taxii import TAXII_MEDIA
from markaz.errors import InvalidInput, MalformedBody
from markaz.storage.reports import ReportFilter
from tests.asgi_client import ASGIClient
from tests.conftest import Account
from tests.interop.helpers import bearer, objects_url, report

FIXTURES = Path(__file__).parent / "fixtures"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((FIXTURES / name).read_bytes())
    return data


def _stored(client: ASGIClient, account: Account, rid: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/reports/{rid}", headers=account.headers)
    assert r.status_code == 200
    data: dict[str, Any] = r.json()
    return data


def _outcomes(result: stix_import.ImportResult) -> dict[str, tuple[bool, str]]:
    return {o.id: (o.imported, o.message) for o in result.outcomes}


def test_opencti_shaped_bundle(client: ASGIClient, centre: Centre, accounts: dict[str, Account]) -> None:
    iq = accounts["IQ"]
    bundle = _load("opencti_report.json")
    result = stix_import.import_document(centre, iq.principal, bundle)
    assert len(result.created) == 1
    # Every object has exactly one outcome: nothing is dropped silently.
    assert [o.id for o in result.outcomes] == [o["id"] for o in bundle["objects"]]
    outcome = _outcomes(result)
    assert outcome["location--9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"][0] is False  # a country, no coordinates
    assert "without coordinates" in outcome["location--9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"][1]
    assert outcome["indicator--6f7a8b90-acbd-4ecf-9d01-e2f3a4b5c6d7"][0] is False
    assert outcome["relationship--5e6f7a80-9bac-4dbe-8fc0-d1e2f3a4b5c6"][0] is False
    assert outcome["marking-definition--0c8a3b52-7d1e-4f6a-9b2c-5e4d3c2b1a09"][0] is True
    assert outcome["identity--6f1c2d0a-3b4e-4c5d-8e9f-0a1b2c3d4e5f"][0] is True
    assert outcome["intrusion-set--3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"][0] is True
    stored = _stored(client, iq, result.created[0])
    assert stored["title"] == "Convoy staging near Al-Bukamal (synthetic)"
    assert stored["tlp"] == "AMBER+STRICT" and stored["recipients"] == ["IQ"]
    assert stored["information_credibility"] == "1"  # confidence 85
    (obs,) = stored["observations"]
    assert obs["geometry"] == {"type": "Point", "coordinates": [40.93, 34.45]}
    assert obs["subject"] == "Group D (synthetic)" and obs["category"] == "other"
    # TLP:AMBER+STRICT stays with the submitting member: RU does not see it.
    assert client.get(f"/api/v1/reports/{stored['id']}", headers=accounts["RU"].headers).status_code == 404


def test_misp_shaped_bundle(client: ASGIClient, centre: Centre, accounts: dict[str, Account]) -> None:
    ru = accounts["RU"]
    bundle = _load("misp_event.json")
    result = stix_import.import_document(centre, ru.principal, bundle)
    assert len(result.created) == 1
    assert len(result.outcomes) == len(bundle["objects"])
    outcome = _outcomes(result)
    for kind in ("observed-data", "ipv4-addr", "indicator"):
        (oid,) = [o["id"] for o in bundle["objects"] if o["type"] == kind]
        assert outcome[oid][0] is False and "no markaz equivalent" in outcome[oid][1]
    stored = _stored(client, ru, result.created[0])
    assert stored["tlp"] == "CLEAR" and stored["releasable_to"] == ["ALL"]
    assert stored["observations"][0]["geometry"]["coordinates"] == [43.05, 36.31]
    assert _stored(client, accounts["SY"], stored["id"])["id"] == stored["id"]


BAD_BUNDLES: list[tuple[Any, int]] = [
    ([], 400),
    ({"type": "report", "id": "report--7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"}, 422),
    ({"objects": {"not": "a list"}}, 422),
    ({"objects": ["text"]}, 422),
    ({"objects": [{"type": "report", "spec_version": "2.1"}]}, 422),
    (
        {
            "objects": [
                {
                    "type": "report",
                    "id": "location--7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
                    "spec_version": "2.1",
                }
            ]
        },
        422,
    ),
    (
        {
            "objects": [
                {
                    "type": "report",
                    "id": "report--7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
                    "spec_version": "2.0",
                }
            ]
        },
        422,
    ),
    (
        {
            "objects": [
                {
                    "type": "report",
                    "id": "report--7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
                    "spec_version": "2.1",
                    "created": "yesterday",
                }
            ]
        },
        422,
    ),
]


@pytest.mark.parametrize(("doc", "status"), BAD_BUNDLES)
def test_bad_bundles_store_nothing(
    client: ASGIClient, accounts: dict[str, Account], doc: Any, status: int
) -> None:
    iq = accounts["IQ"]
    good = _load("misp_event.json")["objects"]
    if isinstance(doc, dict) and isinstance(doc.get("objects"), list):
        doc = {"objects": good + doc["objects"]}  # one bad object refuses the whole envelope
    r = client.post(
        objects_url("IQ", "submit"),
        headers={**bearer(iq.token), "Content-Type": TAXII_MEDIA},
        content=orjson.dumps(doc),
    )
    assert r.status_code == status, r.text
    assert r.json()["http_status"] == str(status) and r.json()["description"]
    assert client.get("/api/v1/reports", headers=iq.headers).json()["items"] == []


def test_refused_report_is_reported_per_object(centre: Centre, accounts: dict[str, Account]) -> None:
    bundle = _load("misp_event.json")
    grouping = next(o for o in bundle["objects"] if o["type"] == "grouping")
    grouping["name"] = "x" * 400
    result = stix_import.import_document(centre, accounts["IQ"].principal, bundle)
    assert result.created == []
    outcome = _outcomes(result)
    assert outcome[grouping["id"]][0] is False and "title" in outcome[grouping["id"]][1]
    assert outcome["location--d3e4f5a6-b7c8-4d9e-8f0a-1b2c3d4e5f6a"] == (
        False,
        f"its report {grouping['id']} was refused",
    )


CSV_TEXT = (
    "report,title,body,language,observed_at,precedence,source_reliability,information_credibility,tlp,"
    "releasable_to,category,longitude,latitude,geometry,observation_observed_at,subject,note\r\n"
    'a,Two sightings,"line one\nline two, with comma",en,2026-09-12T06:30:00.000000Z,FLASH,B,2,GREEN,ALL,'
    "gathering,43.119,36.335,,2026-09-12T06:00:00.000000Z,Group A (synthetic),\r\n"
    'a,Two sightings,"line one\nline two, with comma",en,2026-09-12T06:30:00.000000Z,FLASH,B,2,GREEN,ALL,'
    'smuggling_route,,,"{""type"":""LineString"",""coordinates"":[[40.9,34.5],[43.1,36.3]]}",,,"by night"\r\n'
    "b,'=SUM(A1:A2) looks like a formula,,ar,,ROUTINE,F,6,AMBER,IQ RU,,,,,,,\r\n"
    'c,An area,,fa,,PRIORITY,C,3,RED,IQ,weapons_depot,,,"{""type"":""Polygon"",""coordinates"":'
    '[[[40.0,35.0],[40.1,35.0],[40.1,35.1],[40.0,35.0]]]}",,,\r\n'
)
_CONTENT = [c for c in exports.CSV_COLUMNS if c not in ("report", "originator", "created_at", "status")]


def _rows(data: bytes) -> list[tuple[str, ...]]:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return sorted(tuple(row[c] for c in _CONTENT) for row in reader)


def test_csv_round_trip(centre: Centre, accounts: dict[str, Account]) -> None:
    iq = accounts["IQ"]
    result = files.import_file(centre, iq.principal, CSV_TEXT.encode())
    assert result.format == "csv" and len(result.created) == 3 and result.failed == 0
    exported = b"".join(exports.export(centre, "IQ", "csv", ReportFilter()))
    assert _rows(exported) == _rows(CSV_TEXT.encode())
    # The formula-like title is stored as written, and protected again in the file.
    assert b"'=SUM(A1:A2)" in exported
    # Another member importing the file stores the same reports again, as its own.
    again = files.import_file(centre, accounts["RU"].principal, exported)
    assert len(again.created) == 3
    copied = b"".join(exports.export(centre, "RU", "csv", ReportFilter(originator="RU")))
    assert _rows(copied) == _rows(CSV_TEXT.encode())
    assert files.import_file(centre, iq.principal, CSV_TEXT.encode()).existing == result.created


def test_geojson_and_kml_round_trips(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account]
) -> None:
    iq, sy = accounts["IQ"], accounts["SY"]
    original = client.post("/api/v1/reports", headers=iq.headers, json=report("to the map")).json()
    for fmt in ("geojson", "kml"):
        data = b"".join(exports.export(centre, "IQ", fmt, ReportFilter(originator="IQ")))
        assert files.detect(data) == fmt
        result = files.import_file(centre, sy.principal, data)
        assert len(result.created) == 1, result.lines
        copy = _stored(client, sy, result.created[0])
        assert copy["title"] == original["title"] and copy["tlp"] == original["tlp"]
        strip = [{k: v for k, v in o.items() if k != "id"} for o in original["observations"]]
        assert [{k: v for k, v in o.items() if k != "id"} for o in copy["observations"]] == strip


def test_unrecognised_and_malformed_files(centre: Centre, accounts: dict[str, Account]) -> None:
    iq = accounts["IQ"].principal
    for data in (
        b"hello",
        b"[1, 2]",
        b"{broken",
        b"<html><body/></html>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><kml/>',
    ):
        with pytest.raises((InvalidInput, MalformedBody)):
            files.import_file(centre, iq, data)


def test_cli_export_and_import(
    database_url: str, accounts: dict[str, Account], tmp_path: Path, client: ASGIClient
) -> None:
    client.post("/api/v1/reports", headers=accounts["IQ"].headers, json=report("from the shell"))
    runner = CliRunner()
    app = build_app()
    out = tmp_path / "iq.json"
    r = runner.invoke(
        app, ["export", "--format", "stix", "--member", "IQ", "-o", str(out), "--database-url", database_url]
    )
    assert r.exit_code == 0, r.output
    assert orjson.loads(out.read_bytes())["type"] == "bundle"
    r = runner.invoke(
        app,
        [
            "export",
            "--format",
            "csv",
            "--member",
            "IQ",
            "--category",
            "gathering",
            "--database-url",
            database_url,
        ],
    )
    assert r.exit_code == 0 and "from the shell" in r.stdout
    r = runner.invoke(app, ["import", str(out), "--member", "SY", "--database-url", database_url])
    assert r.exit_code == 0, r.output
    assert "stix: 1 reports created" in r.stdout
    r = runner.invoke(app, ["export", "--format", "pdf", "--member", "IQ", "--database-url", database_url])
    assert r.exit_code == 1 and r.stderr.startswith("error: format must be one of")
    bad = tmp_path / "bad.txt"
    bad.write_text("nothing useful")
    r = runner.invoke(app, ["import", str(bad), "--member", "SY", "--database-url", database_url])
    assert r.exit_code == 1 and r.stderr.startswith("error: ") and "Traceback" not in r.output
