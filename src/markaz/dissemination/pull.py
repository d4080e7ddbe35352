"""Reading what was released to a member: one report, pages of reports, observations as GeoJSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from markaz.centre import Centre
from markaz.dissemination.cursors import CursorCodec
from markaz.errors import NotFound
from markaz.storage import reports as store
from markaz.storage.canonical import iso
from markaz.storage.schema import report_access


def _hide_invisible_links(conn: Connection, viewer: str, rows: Sequence[dict[str, Any]]) -> None:
    # A correction can be released more widely than the original; its readers must not learn
    # the id of a report they cannot see.
    linked = [r["supersedes"] for r in rows if r["supersedes"]]
    if not linked:
        return
    visible = set(
        conn.execute(
            select(report_access.c.report_id).where(
                report_access.c.member_code == viewer, report_access.c.report_id.in_(linked)
            )
        ).scalars()
    )
    for r in rows:
        if r["supersedes"] and r["supersedes"] not in visible:
            r["supersedes"] = None


def get_report(centre: Centre, viewer: str, report_id: str) -> dict[str, Any]:
    with centre.db.read() as conn:
        row = store.get_report_row(conn, viewer, report_id)
        if row is None:
            raise NotFound(f"there is no report {report_id}")
        _hide_invisible_links(conn, viewer, [row])
        obs = store.observations_for(conn, [report_id])[report_id]
        recipients = store.recipients_of(conn, report_id) if row["originator"] == viewer else None
    return store.public_report(row, obs, viewer, recipients)


def list_reports(
    centre: Centre, viewer: str, f: store.ReportFilter, *, limit: int, cursor: str | None
) -> dict[str, Any]:
    codec = CursorCodec(centre.settings.secret_key, "reports")
    before = codec.decode(cursor).get("before") if cursor else None
    with centre.db.read() as conn:
        rows = store.list_report_rows(
            conn,
            centre.db.dialect,
            viewer,
            f,
            limit=limit + 1,
            before_id=before if isinstance(before, str) else None,
        )
        more = len(rows) > limit
        rows = rows[:limit]
        _hide_invisible_links(conn, viewer, rows)
        obs = store.observations_for(conn, [r["id"] for r in rows])
        own = [r["id"] for r in rows if r["originator"] == viewer]
        recipients = {rid: store.recipients_of(conn, rid) for rid in own}
    items = [store.public_report(r, obs[r["id"]], viewer, recipients.get(r["id"])) for r in rows]
    next_cursor = codec.encode({"before": rows[-1]["id"]}) if more and rows else None
    return {"items": items, "next_cursor": next_cursor}


def observations_geojson(
    centre: Centre, viewer: str, f: store.ReportFilter, *, limit: int, cursor: str | None
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (RFC 7946) of visible observations, one page at a time."""
    codec = CursorCodec(centre.settings.secret_key, "observations")
    after = codec.decode(cursor).get("after") if cursor else None
    with centre.db.read() as conn:
        rows = store.list_observation_rows(
            conn,
            centre.db.dialect,
            viewer,
            f,
            limit=limit + 1,
            after_id=after if isinstance(after, int) else None,
        )
    more = len(rows) > limit
    rows = rows[:limit]
    features = [
        {
            "type": "Feature",
            "id": o["id"],
            "geometry": o["geometry"],
            "properties": {
                "report_id": o["report_id"],
                "category": o["category"],
                "observed_at": iso(o["observed_at"]),
                "subject": o["subject"],
                "note": o["note"],
                "originator": o["originator"],
                "title": o["title"],
                "precedence": o["precedence"],
                "created_at": iso(o["created_at"]),
                "source_reliability": o["source_reliability"],
                "information_credibility": o["information_credibility"],
                "tlp": o["tlp"],
                "status": o["status"],
            },
        }
        for o in rows
    ]
    next_cursor = codec.encode({"after": rows[-1]["id"]}) if more and rows else None
    return {"type": "FeatureCollection", "features": features, "next_cursor": next_cursor}
