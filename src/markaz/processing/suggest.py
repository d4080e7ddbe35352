"""Suggested observations from a report's free text, run from the durable queue after the commit."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from markaz.centre import Centre
from markaz.domain.enums import Category
from markaz.errors import Conflict, Forbidden, NotFound
from markaz.storage import audit, queue
from markaz.storage import reports as store
from markaz.storage.canonical import suggestion_snapshot
from markaz.storage.principals import Principal
from markaz.storage.schema import observations, reports, suggestions

log = logging.getLogger("markaz.processing")

# When a text gives evidence for several kinds of activity, the most specific one is suggested.
SPECIFICITY = [
    Category.CHEMICAL_LAB,
    Category.WEAPONS_DEPOT,
    Category.COMMAND_POST,
    Category.GATHERING,
    Category.SMUGGLING_ROUTE,
    Category.MOVEMENT,
    Category.INCIDENT,
    Category.POSITION,
    Category.OTHER,
]
MAX_SUGGESTIONS = 20


def suggest(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Observations to suggest from an extraction result: coordinates first, then places."""
    found = [c for c in SPECIFICITY if c.value in result.get("categories", [])]
    category = (found[0] if found else Category.OTHER).value
    day = next((d for d in result.get("dates", []) if d["precision"] == "day"), None)
    out: list[dict[str, Any]] = []
    for c in result.get("coordinates", []):
        out.append(
            {
                "category": category,
                "geometry": {"type": "Point", "coordinates": [c["lon"], c["lat"]]},
                "confidence": 0.8,
                "evidence": {"kind": "coordinates", "span": c["span"], "format": c["format"], "date": day},
            }
        )
    for p in result.get("places", []):
        out.append(
            {
                "category": category,
                "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]},
                "confidence": 0.5,
                "evidence": {
                    "kind": "place",
                    "span": p["span"],
                    "name": p["name"],
                    "matched": p["matched"],
                    "geonameid": p["geonameid"],
                    "date": day,
                },
            }
        )
    return out[:MAX_SUGGESTIONS]


def run_extraction_jobs(centre: Centre, limit: int = 50) -> int:
    """Claim and run extraction jobs; returns how many were processed."""
    from markaz.processing.extractor import get_extractor

    db = centre.db
    with db.write() as conn:
        claimed = queue.claim(conn, db.dialect, ["extract"], limit)
    for job in claimed:
        try:
            with db.read() as conn:
                row = conn.execute(select(reports.c.body).where(reports.c.id == job["ref"])).one()
            # Spans refer to the body, the free text the author wrote.
            items = suggest(get_extractor().extract(row.body).to_dict())
            with db.write() as conn:
                _store(conn, centre, job["ref"], items)
                queue.complete(conn, job["id"])
        except Exception as exc:  # a bad text must not stop the queue; the job is retried, then failed
            log.warning("extraction job %s failed: %s", job["id"], exc)
            with db.write() as conn:
                queue.fail(conn, job, f"{type(exc).__name__}: {exc}")
    return len(claimed)


def _store(conn: Connection, centre: Centre, report_id: str, items: list[dict[str, Any]]) -> None:
    events = []
    for item in items:
        row = {**item, "report_id": report_id, "state": "suggested", "decided_by": None, "decided_at": None}
        row["id"] = conn.execute(suggestions.insert().values(**row).returning(suggestions.c.id)).scalar_one()
        events.append(
            audit.AuditEvent.of("suggestion.add", "suggestion", str(row["id"]), suggestion_snapshot(row))
        )
    audit.append(conn, centre.db.dialect, "extractor", events)


def list_for(centre: Centre, principal: Principal, report_id: str) -> list[dict[str, Any]]:
    """Suggestions are the originator's to confirm; other members see only confirmed observations."""
    with centre.db.read() as conn:
        report = store.get_report_row(conn, principal.member, report_id)
        if report is None or report["originator"] != principal.member:
            raise NotFound(f"there is no report {report_id}")
        rows = conn.execute(
            select(suggestions).where(suggestions.c.report_id == report_id).order_by(suggestions.c.id)
        ).mappings()
        return [suggestion_snapshot(dict(r)) for r in rows]


def decide(centre: Centre, principal: Principal, suggestion_id: int, confirm: bool) -> dict[str, Any]:
    from markaz.collection.intake import require_writer

    require_writer(principal)
    db = centre.db
    now = datetime.now(UTC)
    with db.write() as conn:
        row = conn.execute(select(suggestions).where(suggestions.c.id == suggestion_id)).mappings().first()
        report = store.get_report_row(conn, principal.member, row["report_id"]) if row else None
        if row is None or report is None or report["originator"] != principal.member:
            raise NotFound(f"there is no suggestion {suggestion_id}")
        if row["state"] != "suggested":
            raise Conflict(f"suggestion {suggestion_id} was already {row['state']}")
        if report["status"] != "active":
            raise Forbidden(
                f"report {report['id']} is {report['status']}; correct the current version instead"
            )
        state = "confirmed" if confirm else "dismissed"
        conn.execute(
            update(suggestions)
            .where(suggestions.c.id == suggestion_id)
            .values(state=state, decided_by=principal.username, decided_at=now)
        )
        decided = {**row, "state": state, "decided_by": principal.username, "decided_at": now}
        audit.append(
            conn,
            db.dialect,
            principal.username,
            [
                audit.AuditEvent.of(
                    f"suggestion.{state}", "suggestion", str(suggestion_id), suggestion_snapshot(decided)
                )
            ],
        )
        if confirm:
            ordinal = (
                conn.execute(
                    select(func.coalesce(func.max(observations.c.ordinal), -1)).where(
                        observations.c.report_id == report["id"]
                    )
                ).scalar_one()
                + 1
            )
            lon, lat = row["geometry"]["coordinates"]
            date = (row["evidence"].get("date") or {}).get("date")
            observed = datetime.fromisoformat(date).replace(tzinfo=UTC) if date and len(date) == 10 else None
            db.dialect.insert_observations(
                conn,
                [
                    {
                        "report_id": report["id"],
                        "ordinal": ordinal,
                        "category": row["category"],
                        "geometry": row["geometry"],
                        "min_lon": lon,
                        "min_lat": lat,
                        "max_lon": lon,
                        "max_lat": lat,
                        "observed_at": observed,
                        "subject": None,
                        "note": f"confirmed from extracted {row['evidence'].get('kind')}",
                    }
                ],
            )
            store.audit_report_state(
                conn,
                db.dialect,
                report["id"],
                action="report.observation-confirmed",
                actor=principal.username,
            )
    return suggestion_snapshot(decided)
