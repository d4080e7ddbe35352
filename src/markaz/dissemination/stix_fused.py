"""The fused picture as STIX 2.1: each site or track a `grouping` of its contributions' locations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from markaz.analysis import fused
from markaz.centre import Centre
from markaz.dissemination import stix
from markaz.storage.schema import observations, reports

# Each request computes the member's fused picture anew (analysis.fused reads through the
# releasability join); items are read in pages of this size.
_PAGE = 500


def _items(centre: Centre, viewer: str) -> Iterator[dict[str, Any]]:
    for lister, getter in ((fused.list_sites, fused.get_site), (fused.list_tracks, fused.get_track)):
        cursor: str | None = None
        while True:
            page = lister(centre, viewer, limit=_PAGE, cursor=cursor)
            for item in page["items"]:
                yield getter(centre, viewer, item["id"])
            cursor = page["next_cursor"]
            if cursor is None:
                break


def _origins(conn: Connection, observation_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Observation id -> its report's id, supersedes link, creation time, and the ordinal."""
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(observation_ids), 500):
        query = (
            select(
                observations.c.id,
                observations.c.ordinal,
                reports.c.id.label("report_id"),
                reports.c.supersedes,
                reports.c.created_at,
            )
            .join(reports, reports.c.id == observations.c.report_id)
            .where(observations.c.id.in_(observation_ids[start : start + 500]))
        )
        for row in conn.execute(query).mappings():
            out[row["id"]] = dict(row)
    return out


def fused_objects(centre: Centre, viewer: str) -> list[tuple[datetime, dict[str, Any]]]:
    """(date added, grouping) for every site and track the viewer sees.

    A grouping is added (and versioned) when its latest contributing report was received, so a
    TAXII client polling with added_after learns of an item again when a new report joins it.
    """
    details = list(_items(centre, viewer))
    wanted = sorted({c["observation_id"] for d in details for c in d.get("contributions", [])})
    with centre.db.read() as conn:
        origins = _origins(conn, wanted)
        rows = {
            o["report_id"]: {
                "id": o["report_id"],
                "supersedes": o["supersedes"],
                "created_at": o["created_at"],
            }
            for o in origins.values()
        }
        chains = stix.chains_for(conn, viewer, list(rows.values()))
    out = []
    for d in details:
        contributions = [c for c in d.get("contributions", []) if c["observation_id"] in origins]
        if not contributions:
            continue
        refs = []
        times = []
        for c in contributions:
            o = origins[c["observation_id"]]
            root = chains[o["report_id"]].root_id
            refs.append(stix.stix_id("location", f"report:{root}:location:{o['ordinal']}"))
            times.append(o["created_at"])
        created, modified = min(times), max(times)
        grouping: dict[str, Any] = {
            "type": "grouping",
            "spec_version": stix.SPEC_VERSION,
            "id": stix.stix_id("grouping", f"fused:{viewer}:{d['kind']}:{d['id']}"),
            "created": stix.ts(created),
            "modified": stix.ts(modified),
            "created_by_ref": stix.CENTRE_IDENTITY_ID,
            "name": f"{d['kind']} {d['id']}: {d['category']}",
            "context": "suspicious-activity",
            "object_refs": sorted(set(refs)),
            "extensions": {
                stix.EXTENSION_ID: {
                    "extension_type": "property-extension",
                    "fused_kind": d["kind"],
                    "fused_id": d["id"],
                    "family": d["family"],
                    "category": d["category"],
                    "geometry": d["geometry"],
                    "first_seen": d["first_seen"],
                    "last_seen": d["last_seen"],
                    "observations": d["observations"],
                    "sources": d["sources"],
                    "originators": d["originators"],
                    "contested": d["contested"],
                }
            },
        }
        if d.get("confidence") is not None:
            grouping["confidence"] = int(d["confidence"])
            grouping["extensions"][stix.EXTENSION_ID]["confidence"] = d["confidence"]
        out.append((modified, grouping))
    return out
