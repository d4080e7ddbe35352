"""A member's quality record: how often independent members corroborate or contradict its reports."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select

from markaz.analysis.matching import MatchRules
from markaz.centre import Centre
from markaz.errors import NotFound
from markaz.storage import fusion as store
from markaz.storage.members import get_member
from markaz.storage.schema import report_access, reports
from markaz.storage.schema_fusion import fusion_nodes


def _chair(centre: Centre) -> str | None:
    from markaz.governance.chair import current

    try:
        return current(centre).member
    except NotFound:
        return None


def member_quality(centre: Centre, viewer: str, code: str) -> dict[str, Any]:
    """The record of `code` as `viewer` may see it: the member itself, or the chair; else 404.

    Counted only over what the viewer may see (the member's observations released to the
    viewer, and other members' observations released to it), so the record says nothing
    about reports the viewer may not see. The member's own view covers all its reports.
    """
    if viewer != code and viewer != _chair(centre):
        raise NotFound(f"there is no quality record for {code}")
    with centre.db.read() as conn:
        try:
            get_member(conn, code)
        except NotFound:
            raise NotFound(f"there is no quality record for {code}") from None
        own = [
            int(i)
            for i in conn.execute(
                select(fusion_nodes.c.obs_id)
                .join(
                    report_access,
                    and_(
                        report_access.c.report_id == fusion_nodes.c.report_id,
                        report_access.c.member_code == viewer,
                    ),
                )
                .join(reports, reports.c.id == fusion_nodes.c.report_id)
                .where(
                    fusion_nodes.c.originator == code,
                    fusion_nodes.c.family.is_not(None),
                    reports.c.status == "active",
                )
            ).scalars()
        ]
        links = store.Links(conn, MatchRules.from_settings(centre.settings)).touching(own)
        others = store.visible_nodes(conn, viewer, {e for lk in links for e in (lk.a, lk.b)})
    mine = set(own)
    corroborated: set[int] = set()
    contradicted: set[int] = set()
    by_member: dict[str, dict[str, int]] = {}
    for lk in links:
        for here, there in ((lk.a, lk.b), (lk.b, lk.a)):
            other = others.get(there)
            if here not in mine or other is None or other.originator == code:
                continue
            tally = by_member.setdefault(other.originator, {"corroborated": 0, "contradicted": 0})
            if lk.conflict:
                contradicted.add(here)
                tally["contradicted"] += 1
            elif lk.matched:
                corroborated.add(here)
                tally["corroborated"] += 1
    total = len(mine)
    return {
        "member": code,
        "observations": total,
        "corroborated": len(corroborated),
        "contradicted": len(contradicted),
        "uncorroborated": len(mine - corroborated - contradicted),
        "corroborated_share": round(len(corroborated) / total, 4) if total else None,
        "contradicted_share": round(len(contradicted) / total, 4) if total else None,
        "by_member": [{"member": m, **t} for m, t in sorted(by_member.items())],
        "as_seen_by": viewer,
        "note": "counted over the observations the viewer may see; information, not a sanction",
    }
