"""Pure types and rules of the exchange: members, reports, observations, grading, releasability."""

from markaz.domain.enums import (
    Category,
    InformationCredibility,
    MemberStatus,
    Precedence,
    ReportStatus,
    Role,
    SourceReliability,
    Tlp,
)
from markaz.domain.releasability import ALL, resolve_releasability

__all__ = [
    "ALL",
    "Category",
    "InformationCredibility",
    "MemberStatus",
    "Precedence",
    "ReportStatus",
    "Role",
    "SourceReliability",
    "Tlp",
    "resolve_releasability",
]
