"""The OASIS TAXII 2.1 client (taxii2-client) against a real `markaz serve` process, on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import stix2
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from markaz.centre import Centre
from markaz.dissemination import stix as mapping
from markaz.storage.audit import verify
from tests.conftest import add_account
from tests.reliability import _processes as procs

GREEN = mapping.TLP_MARKINGS["GREEN"]


class BearerAuth(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


@pytest.fixture
def taxii_server(centre: Centre, database_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    # Members and tokens are made in process (quicker than the CLI); the server is a real process.
    iq, sy, _ru = (add_account(centre, code) for code in ("IQ", "SY", "RU"))
    server = procs.serve(database_url, tmp_path / "serve.log", worker=True)
    try:
        yield {"base": server.base, "iq": iq.token, "iq_user": iq.principal.username, "sy": sy.token}
    finally:
        server.stop()


def _collections(root: ApiRoot) -> dict[str, Collection]:
    return {c.title: c for c in root.collections}


def _bundle_from_stix2() -> dict[str, Any]:
    """A bundle another system could send, built with the OASIS stix2 library."""
    group = stix2.v21.Identity(name="Group C (synthetic)", identity_class="group")
    place = stix2.v21.Location(latitude=35.33, longitude=40.14, name="near Deir ez-Zor")
    at = stix2.v21.Relationship(source_ref=group.id, relationship_type="located-at", target_ref=place.id)
    indicator = stix2.v21.Indicator(
        pattern="[ipv4-addr:value = '198.51.100.7']", pattern_type="stix", valid_from="2026-09-01T00:00:00Z"
    )
    rep = stix2.v21.Report(
        name="Gathering reported near Deir ez-Zor (synthetic)",
        description="test report from another system",
        published="2026-09-12T06:30:00Z",
        report_types=["threat-report"],
        object_refs=[place.id, group.id, at.id, indicator.id],
        confidence=70,
        object_marking_refs=[GREEN],
        lang="en",
    )
    objects = [json.loads(o.serialize()) for o in (group, place, at, indicator, rep)]
    return {"objects": objects}


def test_taxii2_client_against_served_markaz(taxii_server: dict[str, Any], centre: Centre) -> None:
    base = taxii_server["base"]
    iq_server = Server(f"{base}/taxii2/", user=taxii_server["iq_user"], password=taxii_server["iq"])
    sy_server = Server(f"{base}/taxii2/", auth=BearerAuth(taxii_server["sy"]))
    # Discovery and the API root.
    assert iq_server.title == "markaz TAXII 2.1 server"
    assert [r.url for r in iq_server.api_roots] == [f"{base}/taxii2/markaz/"]
    iq_root, sy_root = iq_server.default, sy_server.default
    assert iq_root is not None and sy_root is not None
    assert "application/taxii+json;version=2.1" in iq_root.versions
    # Collections, as two different members: the same titles, different ids.
    iq_c, sy_c = _collections(iq_root), _collections(sy_root)
    assert set(iq_c) == set(sy_c) >= {"Released to us", "Our submissions", "Submit"}
    assert {c.id for c in iq_c.values()}.isdisjoint({c.id for c in sy_c.values()})
    assert iq_c["Submit"].can_write and not iq_c["Submit"].can_read

    # Add objects and poll the status.
    status = iq_c["Submit"].add_objects(_bundle_from_stix2())
    assert status.status == "complete"
    assert status.total_count == 5 and status.success_count == 4 and status.failure_count == 1
    assert status.failures[0]["id"].startswith("indicator--")
    status.refresh()
    assert status.success_count == 4
    stored = next(s["message"] for s in status.successes if s["id"].startswith("report--"))
    assert stored.startswith("stored as report ")

    # SY reads what is released to it, page by page.
    pages = list(as_pages(sy_c["Released to us"].get_objects, per_request=3))
    objects = [o for page in pages for o in page.get("objects", [])]
    assert len(pages) > 1 and all(len(p.get("objects", [])) <= 3 for p in pages)
    reports = [o for o in objects if o["type"] == "report"]
    assert [r["name"] for r in reports] == ["Gathering reported near Deir ez-Zor (synthetic)"]
    report_id = reports[0]["id"]
    assert reports[0]["confidence"] == 70 and reports[0]["object_marking_refs"] == [GREEN]
    located = [o for o in objects if o["type"] == "location"]
    assert (located[0]["latitude"], located[0]["longitude"]) == (35.33, 40.14)
    groups = [o for o in objects if o["type"] == "identity" and o.get("identity_class") == "group"]
    assert [g["name"] for g in groups] == ["Group C (synthetic)"]

    # Manifest, versions, one object, match filters.
    manifest = sy_c["Released to us"].get_manifest()
    assert {m["id"] for m in manifest["objects"]} == {o["id"] for o in objects}
    assert all(m["media_type"] == "application/stix+json;version=2.1" for m in manifest["objects"])
    versions = sy_c["Released to us"].object_versions(report_id)
    assert versions["versions"] == [reports[0]["modified"]]
    one = sy_c["Released to us"].get_object(report_id)
    assert [o["id"] for o in one["objects"]] == [report_id]
    only = sy_c["Released to us"].get_objects(type=["report", "location"])
    assert {o["type"] for o in only["objects"]} == {"report", "location"}
    assert "objects" not in sy_c["Released to us"].get_objects(type="report", spec_version="2.0")
    assert "objects" not in sy_c["Our submissions"].get_objects(type="report")
    assert iq_c["Our submissions"].get_objects(type="report")["objects"][0]["id"] == report_id

    # Delete: SY may not (403), IQ may: its report is retracted and revoked for every reader.
    with pytest.raises(requests.HTTPError) as refused:
        sy_c["Our submissions"].delete_object(report_id)
    assert refused.value.response.status_code == 404
    iq_c["Our submissions"].delete_object(report_id)
    revoked = sy_c["Released to us"].get_object(report_id)["objects"][0]
    assert revoked["revoked"] is True
    assert len(sy_c["Released to us"].object_versions(report_id)["versions"]) == 2
    with pytest.raises(requests.HTTPError) as again:
        iq_c["Our submissions"].delete_object(report_id)
    assert again.value.response.status_code == 409
    listed = httpx.get(
        f"{base}/api/v1/reports", headers={"Authorization": f"Bearer {taxii_server['sy']}"}
    ).json()
    assert listed["items"][0]["status"] == "retracted"
    # Everything the TAXII writes did went through intake: the audit chain still verifies.
    with centre.db.read() as conn:
        result = verify(conn)
    assert result.ok, result.problem
