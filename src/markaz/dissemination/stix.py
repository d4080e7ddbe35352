"""STIX 2.1 mapping of reports: deterministic ids, versions, TLP 2.0 markings, the markaz extension."""

from __future__ import annotations

import functools
import hashlib
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from markaz.storage import interop
from markaz.storage.canonical import iso

# Every markaz STIX id is uuid5(MARKAZ_NAMESPACE, <markaz name>): re-exporting gives the same ids.
MARKAZ_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:markaz:stix")
SPEC_VERSION = "2.1"


_NAMESPACE_BYTES = MARKAZ_NAMESPACE.bytes


def name_digest(name: str) -> bytes:
    """The SHA-1 that uuid5(MARKAZ_NAMESPACE, name) is made of (before its version bits)."""
    return hashlib.sha1(_NAMESPACE_BYTES + name.encode(), usedforsecurity=False).digest()


def stix_id(kind: str, name: str) -> str:
    """`kind--uuid5(MARKAZ_NAMESPACE, name)`, computed without building a UUID object (the feed's
    hot path makes several per report; the result is the same text as uuid.uuid5 gives)."""
    digest = bytearray(name_digest(name)[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    x = digest.hex()
    return f"{kind}--{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def ts(value: datetime) -> str:
    """A STIX timestamp: UTC, microseconds, `Z` (the same text form as the rest of markaz)."""
    text = iso(value)
    assert text is not None
    return text


def parse_ts(text: str) -> datetime:
    """A STIX/TAXII timestamp (RFC 3339, `Z` or an offset) as an aware datetime."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("a timestamp needs a zone")
    return value.astimezone(UTC)


# TLP 2.0 marking definitions as published by OASIS in cti-stix-common-objects
# (extension-definition-specifications/tlp-2.0), with the ids FIRST's TLP 2.0 uses.
TLP_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP_MARKINGS: dict[str, str] = {
    "CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
# TLP 1.0 markings of the STIX 2.1 specification, accepted on import (WHITE is CLEAR now).
TLP1_MARKINGS: dict[str, str] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "CLEAR",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "GREEN",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "AMBER",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "RED",
}
TLP_BY_MARKING = {v: k for k, v in TLP_MARKINGS.items()} | TLP1_MARKINGS
TLP_CREATED = "2022-10-01T00:00:00.000Z"

# STIX 2.1 Appendix A, "Admiralty Credibility" scale: 6 (cannot be judged) has no value.
CONFIDENCE_BY_CREDIBILITY = {"1": 90, "2": 70, "3": 50, "4": 30, "5": 10}


def credibility_from_confidence(confidence: int | None) -> str:
    """The inverse of Appendix A: 80-100 -> 1, 60-79 -> 2, 40-59 -> 3, 20-39 -> 4, 0-19 -> 5."""
    if confidence is None:
        return "6"
    for floor, grade in ((80, "1"), (60, "2"), (40, "3"), (20, "4")):
        if confidence >= floor:
            return grade
    return "5"


# The markaz property extension and the identities markaz objects name.
EXTENSION_ID = stix_id("extension-definition", "extension:report-properties:1")
CENTRE_IDENTITY_ID = stix_id("identity", "centre")
DEFINITIONS_CREATED = "2026-01-01T00:00:00.000000Z"
EXTENSION_SCHEMA = (
    "markaz report properties, version 1 (JSON, all optional). On report objects: markaz_id, "
    "originator (member code), precedence (FLASH|IMMEDIATE|PRIORITY|ROUTINE), source_reliability "
    "(A-F), information_credibility (1-6), grading (e.g. B2), releasable_to (member codes, ALL, "
    "circle:<name>), status (active|superseded|retracted), observed_at, retraction_reason. On "
    "location objects: category, geometry (GeoJSON RFC 7946 Point, LineString or Polygon, WGS84), "
    "observed_at, subject, note. See docs/interop.md of markaz."
)


@functools.lru_cache(maxsize=256)
def member_identity_id(code: str) -> str:
    return stix_id("identity", f"member:{code}")


def reference_objects(members: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Objects every export names: TLP markings, the markaz extension, the centre and members."""
    objects: list[dict[str, Any]] = [
        {
            "type": "marking-definition",
            "spec_version": SPEC_VERSION,
            "id": marking,
            "created": TLP_CREATED,
            "name": f"TLP:{label}",
            "extensions": {
                TLP_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": label.lower()}
            },
        }
        for label, marking in TLP_MARKINGS.items()
    ]
    objects.append(
        {
            "type": "identity",
            "spec_version": SPEC_VERSION,
            "id": CENTRE_IDENTITY_ID,
            "created": DEFINITIONS_CREATED,
            "modified": DEFINITIONS_CREATED,
            "name": "markaz information-exchange centre",
            "identity_class": "organization",
        }
    )
    objects.append(
        {
            "type": "extension-definition",
            "spec_version": SPEC_VERSION,
            "id": EXTENSION_ID,
            "created_by_ref": CENTRE_IDENTITY_ID,
            "created": DEFINITIONS_CREATED,
            "modified": DEFINITIONS_CREATED,
            "name": "markaz report properties",
            "description": "Admiralty grading, precedence, releasability and GeoJSON geometry of markaz "
            "reports and observations.",
            "schema": EXTENSION_SCHEMA,
            "version": "1.0",
            "extension_types": ["property-extension"],
        }
    )
    for m in members:
        joined = ts(m["joined_at"])
        names = m["names"] or {}
        objects.append(
            {
                "type": "identity",
                "spec_version": SPEC_VERSION,
                "id": member_identity_id(m["code"]),
                "created": joined,
                "modified": joined,
                "name": str(names.get("en") or m["code"]),
                "identity_class": "organization",
                "roles": ["member"],
                "extensions": {
                    EXTENSION_ID: {"extension_type": "property-extension", "member_code": m["code"]}
                },
            }
        )
    return objects


@dataclass(frozen=True)
class Chain:
    """Where a stored report sits in its correction chain, as one viewer sees it."""

    root_id: str  # the first version's markaz id: the STIX ids derive from it
    created: datetime  # the earliest version this viewer may see


def chains_for(conn: Connection, viewer: str, rows: Sequence[dict[str, Any]]) -> dict[str, Chain]:
    """Root and earliest visible creation time of each row's correction chain."""
    chains = {r["id"]: Chain(r["id"], r["created_at"]) for r in rows if r["supersedes"] is None}
    linked = [r for r in rows if r["supersedes"] is not None]
    if not linked:
        return chains
    links = interop.chain_links(conn, [r["supersedes"] for r in linked])
    visible = interop.visible_among(conn, viewer, links)
    for r in linked:
        earliest = r["created_at"]
        current: str | None = r["supersedes"]
        root = r["id"]
        while current is not None and current in links:
            root = current
            parent, created = links[current]
            if current in visible:
                earliest = created if earliest is None else min(earliest, created)
            current = parent
        chains[r["id"]] = Chain(root, earliest)
    return chains


def _precision_m(geometry: Mapping[str, Any], lon: float, lat: float) -> float:
    coords = geometry["coordinates"]
    points = [coords] if geometry["type"] == "Point" else coords
    if geometry["type"] == "Polygon":
        points = [p for ring in coords for p in ring]
    # Metres from the centre to the farthest vertex (equirectangular; ample for a precision).
    far = 0.0
    for p in points:
        dx = math.radians(p[0] - lon) * math.cos(math.radians(lat)) * 6_371_000
        dy = math.radians(p[1] - lat) * 6_371_000
        far = max(far, math.hypot(dx, dy))
    return round(far, 1)


def _centre(o: Mapping[str, Any]) -> tuple[float, float]:
    if o["geometry"]["type"] == "Point":
        lon, lat = o["geometry"]["coordinates"][:2]
        return float(lon), float(lat)
    return (o["min_lon"] + o["max_lon"]) / 2, (o["min_lat"] + o["max_lat"]) / 2


def report_objects(
    row: Mapping[str, Any],
    obs: Sequence[Mapping[str, Any]],
    chain: Chain,
    *,
    revoked: bool = False,
) -> list[dict[str, Any]]:
    """One version of a report as STIX: the report, then per observation location, thing, relationship.

    The version is the report row's creation time, or its retraction time when `revoked`.
    """
    root = chain.root_id
    created = ts(chain.created)
    when = row["retracted_at"] if revoked else row["created_at"]
    modified = ts(max(when, chain.created))
    author = member_identity_id(row["originator"])
    marking = [TLP_MARKINGS[row["tlp"]]]

    def common(kind: str, name: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": kind,
            "spec_version": SPEC_VERSION,
            "id": stix_id(kind, name),
            "created": created,
            "modified": modified,
            "created_by_ref": author,
            "object_marking_refs": marking,
        }
        if revoked:
            out["revoked"] = True
        return out

    located: list[dict[str, Any]] = []
    for o in obs:
        n = o["ordinal"]
        lon, lat = _centre(o)
        location = common("location", f"report:{root}:location:{n}")
        location.update({"latitude": round(lat, 7), "longitude": round(lon, 7)})
        if o["geometry"]["type"] != "Point":
            location["precision"] = _precision_m(o["geometry"], lon, lat)
        if o["subject"]:
            location["name"] = f"{o['category']}: {o['subject']}"
        else:
            location["name"] = o["category"]
        if o["note"]:
            location["description"] = o["note"]
        ext: dict[str, Any] = {
            "extension_type": "property-extension",
            "category": o["category"],
            "geometry": o["geometry"],
        }
        for key in ("observed_at",):
            if o[key] is not None:
                ext[key] = ts(o[key])
        for key in ("subject", "note"):
            if o[key]:
                ext[key] = o[key]
        location["extensions"] = {EXTENSION_ID: ext}
        if o["subject"]:
            thing = common("identity", f"report:{root}:subject:{n}")
            thing.update({"name": o["subject"], "identity_class": "group"})
        else:
            thing = common("infrastructure", f"report:{root}:thing:{n}")
            thing.update({"name": o["category"].replace("_", " "), "infrastructure_types": ["unknown"]})
        relation = common("relationship", f"report:{root}:located-at:{n}")
        relation.update(
            {"relationship_type": "located-at", "source_ref": thing["id"], "target_ref": location["id"]}
        )
        located += [location, thing, relation]

    report = common("report", f"report:{root}")
    report.update(
        {
            "name": row["title"],
            "published": ts(row["created_at"]),
            "report_types": ["threat-report"],
            # A report with no observation still refers to someone: its originator.
            "object_refs": [x["id"] for x in located] or [author],
        }
    )
    if row["body"]:
        report["description"] = row["body"]
    if row["language"]:
        report["lang"] = row["language"]
    confidence = CONFIDENCE_BY_CREDIBILITY.get(row["information_credibility"])
    if confidence is not None:
        report["confidence"] = confidence
    ext = {
        "extension_type": "property-extension",
        "markaz_id": row["id"],
        "originator": row["originator"],
        "precedence": row["precedence"],
        "source_reliability": row["source_reliability"],
        "information_credibility": row["information_credibility"],
        "grading": row["source_reliability"] + row["information_credibility"],
        "releasable_to": list(row["releasable_to"]),
        "status": row["status"],
    }
    if row["observed_at"] is not None:
        ext["observed_at"] = ts(row["observed_at"])
    if revoked and row["retraction_reason"]:
        ext["retraction_reason"] = row["retraction_reason"]
    report["extensions"] = {EXTENSION_ID: ext}
    return [report, *located]


def bundle(objects: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """A STIX bundle; its id is derived from `name`, so the same export gives the same bundle."""
    return {"type": "bundle", "id": stix_id("bundle", name), "objects": objects}
