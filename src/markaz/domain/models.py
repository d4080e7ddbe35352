"""Request and response shapes of reports and observations, validated once at the edge."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from markaz.domain.enums import (
    Category,
    InformationCredibility,
    Precedence,
    ReportStatus,
    SourceReliability,
    Tlp,
)
from markaz.domain.text import check_free_text, check_label

MEMBER_CODE_PATTERN = r"^[A-Z0-9]{2,8}$"
_MEMBER_CODE = re.compile(MEMBER_CODE_PATTERN)
# BCP 47, the shape only: language, optional script, region and variants.
_BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-[A-Za-z0-9]{5,8})*$")

MAX_OBSERVATIONS = 100
MAX_VERTICES = 10_000

Title = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(lambda v: check_label(v, "title"))]
Body = Annotated[str, Field(max_length=100_000), AfterValidator(lambda v: check_free_text(v, "body"))]
Subject = Annotated[
    str, Field(min_length=1, max_length=200), AfterValidator(lambda v: check_label(v, "subject"))
]
Note = Annotated[str, Field(max_length=2000), AfterValidator(lambda v: check_free_text(v, "note"))]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_position(pos: list[float], where: str) -> None:
    if len(pos) not in (2, 3):
        raise ValueError(f"{where}: a position is [longitude, latitude] (optionally altitude)")
    lon, lat = pos[0], pos[1]
    for v in pos:
        if not math.isfinite(v):
            raise ValueError(f"{where}: coordinates must be finite numbers")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"{where}: longitude {lon} is outside -180..180")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"{where}: latitude {lat} is outside -90..90")


class Point(_Strict):
    type: Literal["Point"]
    coordinates: list[float]

    @field_validator("coordinates")
    @classmethod
    def _valid(cls, v: list[float]) -> list[float]:
        _check_position(v, "Point")
        return v


class LineString(_Strict):
    type: Literal["LineString"]
    coordinates: list[list[float]] = Field(max_length=MAX_VERTICES)

    @field_validator("coordinates")
    @classmethod
    def _valid(cls, v: list[list[float]]) -> list[list[float]]:
        if len(v) < 2:
            raise ValueError("a LineString needs at least two positions")
        for i, pos in enumerate(v):
            _check_position(pos, f"LineString position {i}")
        return v


class Polygon(_Strict):
    type: Literal["Polygon"]
    coordinates: list[list[list[float]]] = Field(min_length=1, max_length=100)

    @field_validator("coordinates")
    @classmethod
    def _valid(cls, v: list[list[list[float]]]) -> list[list[list[float]]]:
        total = 0
        for r, ring in enumerate(v):
            if len(ring) < 4:
                raise ValueError(f"Polygon ring {r} needs at least four positions")
            if ring[0][:2] != ring[-1][:2]:
                raise ValueError(f"Polygon ring {r} is not closed (first and last positions differ)")
            total += len(ring)
            for i, pos in enumerate(ring):
                _check_position(pos, f"Polygon ring {r} position {i}")
        if total > MAX_VERTICES:
            raise ValueError(f"a Polygon may have at most {MAX_VERTICES} positions")
        return v


Geometry = Annotated[Point | LineString | Polygon, Field(discriminator="type")]


class ObservationIn(_Strict):
    """One thing seen at one place: what the map shows and fusion works on."""

    category: Category
    geometry: Geometry
    observed_at: AwareDatetime | None = None
    subject: Subject | None = None
    note: Note | None = None


CIRCLE_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{1,63}$"
_CIRCLE_NAME = re.compile(CIRCLE_NAME_PATTERN)
CIRCLE_PREFIX = "circle:"


def _check_releasable(v: list[str]) -> list[str]:
    for code in v:
        if code.startswith(CIRCLE_PREFIX):
            if not _CIRCLE_NAME.fullmatch(code[len(CIRCLE_PREFIX) :]):
                raise ValueError(f"{code!r} does not name a circle (circle:<lower-case-name>)")
        elif code != "ALL" and not _MEMBER_CODE.fullmatch(code):
            raise ValueError(
                f'{code!r} is not a member code (2-8 upper-case letters or digits), "ALL", or circle:<name>'
            )
    if len(set(v)) != len(v):
        raise ValueError("releasable_to lists a member twice")
    return v


def _check_language(v: str) -> str:
    if not _BCP47.fullmatch(v):
        raise ValueError(f"{v!r} is not a BCP 47 language tag such as 'ar', 'fa', 'ru' or 'en-GB'")
    return v


class ReportSignature(_Strict):
    """An Ed25519 signature of the report by a key the member registered (docs/security.md)."""

    key_id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
    sig: Annotated[str, Field(min_length=88, max_length=88, pattern=r"^[A-Za-z0-9+/]{86}==$")]


class ReportCreate(_Strict):
    """What a member submits."""

    title: Title
    body: Body = ""
    language: Annotated[str, AfterValidator(_check_language)] | None = None
    observed_at: AwareDatetime | None = None
    precedence: Precedence = Precedence.ROUTINE
    source_reliability: SourceReliability = SourceReliability.F
    information_credibility: InformationCredibility = InformationCredibility.CANNOT_BE_JUDGED
    tlp: Tlp = Tlp.AMBER
    releasable_to: Annotated[
        list[str], Field(min_length=1, max_length=64), AfterValidator(_check_releasable)
    ] = Field(default_factory=lambda: ["ALL"])
    client_ref: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    observations: list[ObservationIn] = Field(default_factory=list, max_length=MAX_OBSERVATIONS)
    signature: ReportSignature | None = None


class ReportCorrection(ReportCreate):
    """A corrected version of a report; it supersedes the original for every recipient."""


class RetractRequest(_Strict):
    reason: Annotated[
        str, Field(min_length=1, max_length=2000), AfterValidator(lambda v: check_free_text(v, "reason"))
    ]


class ObservationPublic(BaseModel):
    id: int
    category: Category
    geometry: dict[str, Any]
    observed_at: datetime | None
    subject: str | None
    note: str | None


class ReportPublic(BaseModel):
    """A report as a member that may see it reads it."""

    id: str
    originator: str
    author: str
    created_at: datetime
    observed_at: datetime | None
    title: str
    body: str
    language: str | None
    precedence: Precedence
    source_reliability: SourceReliability
    information_credibility: InformationCredibility
    tlp: Tlp
    releasable_to: list[str]
    status: ReportStatus
    supersedes: str | None
    superseded_by: str | None
    retracted_at: datetime | None
    retraction_reason: str | None
    client_ref: str | None = Field(None, description="Only shown to the originator.")
    recipients: list[str] | None = Field(
        None, description="The resolved releasability set; only shown to the originator."
    )
    observations: list[ObservationPublic]


class ReportPage(BaseModel):
    items: list[ReportPublic]
    next_cursor: str | None


class BatchItemResult(BaseModel):
    index: int
    status: Literal["created", "existing", "error"]
    id: str | None = None
    error: dict[str, Any] | None = None


class BatchResult(BaseModel):
    created: int
    existing: int
    failed: int
    results: list[BatchItemResult]
