"""Shared helpers of the fusion tests: submit observations, build the reference's nodes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from markaz.analysis.fusion import node_of
from markaz.analysis.matching import Node
from markaz.centre import Centre
from markaz.collection import intake
from markaz.dissemination import pull
from tests.conftest import Account


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def submit(
    centre: Centre,
    account: Account,
    observations: list[dict[str, Any]],
    *,
    releasable_to: list[str] | None = None,
    reliability: str = "B",
    credibility: str = "2",
) -> tuple[dict[str, Any], list[Node]]:
    """Submit one report; returns the stored report and the fusion nodes of its observations."""
    (result,) = intake.submit(
        centre,
        account.principal,
        [
            {
                "title": "fusion test report (synthetic)",
                "releasable_to": releasable_to or ["ALL"],
                "source_reliability": reliability,
                "information_credibility": credibility,
                "observations": observations,
            }
        ],
    )
    assert result.error is None, result.error
    assert result.id is not None
    report = pull.get_report(centre, account.member, result.id)
    nodes = []
    for o in report["observations"]:
        when = datetime.fromisoformat(o["observed_at"] or report["created_at"])
        row = (
            o["id"],
            report["id"],
            o["category"],
            o["geometry"],
            when.timestamp(),
            o["subject"],
            o["note"],
            report["originator"],
            report["source_reliability"],
            report["information_credibility"],
        )
        nodes.append(node_of(row))
    return report, nodes


def comparable(item: dict[str, Any], *, with_confidence: bool = True) -> dict[str, Any]:
    """The fields of a list item both paths must agree on."""
    keep = {
        k: v for k, v in item.items() if k not in ("contributions", "confidence_explanation", "decisions")
    }
    if not with_confidence:
        keep.pop("confidence", None)
    for key in ("position", "geometry"):
        keep[key] = {
            "type": keep[key]["type"],
            "coordinates": _rounded(keep[key]["coordinates"]),
        }
    return keep


def _rounded(value: Any) -> Any:
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return round(float(value), 9)
