"""What a situation report may contain: reports and observations visible to EVERY member of an audience."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.sql import Select

from markaz.storage.dialects import BBox
from markaz.storage.schema import observations, report_access, reports
from markaz.storage.schema_views import centre_products

# A situation report summarises; it never lists more than this many observations (it says so).
MAX_OBSERVATIONS = 5000


def visible_to_all(audience: Collection[str]) -> Select[Any]:
    """Ids of the reports released to every member of `audience`: the releasability join, for a
    group. For one member it is exactly that member's visibility; for a published product's
    recipients it is the intersection of theirs, so no recipient learns of another's reports."""
    members = sorted(set(audience))
    if not members:
        raise ValueError("an audience has at least one member")
    return (
        select(report_access.c.report_id)
        .where(report_access.c.member_code.in_(members))
        .group_by(report_access.c.report_id)
        .having(func.count() == len(members))
    )


def _not_a_product() -> Any:
    return reports.c.id.not_in(select(centre_products.c.report_id))


def _in_box(bbox: BBox) -> Any:
    return and_(
        observations.c.max_lon >= bbox[0],
        observations.c.min_lon <= bbox[2],
        observations.c.max_lat >= bbox[1],
        observations.c.min_lat <= bbox[3],
    )


def period_observations(
    conn: Connection,
    audience: Collection[str],
    since: datetime,
    until: datetime,
    bbox: BBox | None,
    *,
    limit: int = MAX_OBSERVATIONS,
) -> list[dict[str, Any]]:
    """Observations of active reports received in [since, until), visible to all of `audience`."""
    query = (
        select(
            observations,
            reports.c.originator,
            reports.c.title,
            reports.c.precedence,
            reports.c.precedence_rank,
            reports.c.created_at,
            reports.c.source_reliability,
            reports.c.information_credibility,
            reports.c.supersedes,
        )
        .join(reports, reports.c.id == observations.c.report_id)
        .where(
            reports.c.id.in_(visible_to_all(audience)),
            reports.c.status == "active",
            reports.c.created_at >= since,
            reports.c.created_at < until,
        )
    )
    if bbox is not None:
        query = query.where(_in_box(bbox))
    query = query.order_by(observations.c.id).limit(limit + 1)
    return [dict(r) for r in conn.execute(query).mappings()]


def period_changes(
    conn: Connection, audience: Collection[str], since: datetime, until: datetime, bbox: BBox | None
) -> list[dict[str, Any]]:
    """Reports that changed in the period: corrections received, retractions made. A correction
    names the report it replaces only when that one is visible to the whole audience too."""
    visible = visible_to_all(audience)
    query = select(
        reports.c.id,
        reports.c.originator,
        reports.c.title,
        reports.c.created_at,
        reports.c.status,
        reports.c.supersedes,
        reports.c.retracted_at,
        reports.c.retraction_reason,
    ).where(
        reports.c.id.in_(visible),
        _not_a_product(),
        or_(
            and_(
                reports.c.supersedes.is_not(None), reports.c.created_at >= since, reports.c.created_at < until
            ),
            and_(reports.c.retracted_at >= since, reports.c.retracted_at < until),
        ),
    )
    if bbox is not None:
        query = query.where(reports.c.id.in_(select(observations.c.report_id).where(_in_box(bbox))))
    rows = [dict(r) for r in conn.execute(query.order_by(reports.c.id)).mappings()]
    linked = [r["supersedes"] for r in rows if r["supersedes"]]
    if linked:
        seen = set(conn.execute(visible.where(report_access.c.report_id.in_(linked))).scalars())
        for r in rows:
            if r["supersedes"] and r["supersedes"] not in seen:
                r["supersedes"] = None
    return rows


def count_reports(
    conn: Connection, audience: Collection[str], since: datetime, until: datetime, bbox: BBox | None
) -> int:
    """Reports (not products) received in the period and visible to all of `audience`."""
    query = (
        select(func.count())
        .select_from(reports)
        .where(
            reports.c.id.in_(visible_to_all(audience)),
            _not_a_product(),
            reports.c.created_at >= since,
            reports.c.created_at < until,
        )
    )
    if bbox is not None:
        query = query.where(reports.c.id.in_(select(observations.c.report_id).where(_in_box(bbox))))
    return int(conn.execute(query).scalar_one())
