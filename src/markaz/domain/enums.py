"""The closed vocabularies of the exchange, in the mission's words."""

from __future__ import annotations

from enum import StrEnum


class Precedence(StrEnum):
    """Message precedence, most urgent first (ACP 121 order)."""

    FLASH = "FLASH"
    IMMEDIATE = "IMMEDIATE"
    PRIORITY = "PRIORITY"
    ROUTINE = "ROUTINE"

    @property
    def rank(self) -> int:
        """0 for FLASH … 3 for ROUTINE: sorting ascending puts the most urgent first."""
        return _PRECEDENCE_RANK[self]


_PRECEDENCE_RANK = {p: i for i, p in enumerate(Precedence)}


class SourceReliability(StrEnum):
    """Admiralty grading of the source: A completely reliable … F cannot be judged."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"


class InformationCredibility(StrEnum):
    """Admiralty grading of the information: 1 confirmed … 6 cannot be judged."""

    CONFIRMED = "1"
    PROBABLY_TRUE = "2"
    POSSIBLY_TRUE = "3"
    DOUBTFUL = "4"
    IMPROBABLE = "5"
    CANNOT_BE_JUDGED = "6"


class Tlp(StrEnum):
    """Traffic Light Protocol 2.0 labels."""

    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"


class Category(StrEnum):
    """What an observation is about (the kinds of information the centre exchanges)."""

    POSITION = "position"
    GATHERING = "gathering"
    COMMAND_POST = "command_post"
    WEAPONS_DEPOT = "weapons_depot"
    CHEMICAL_LAB = "chemical_lab"
    MOVEMENT = "movement"
    SMUGGLING_ROUTE = "smuggling_route"
    INCIDENT = "incident"
    OTHER = "other"


class MemberStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"


class Role(StrEnum):
    ANALYST = "analyst"
    MEMBER_ADMIN = "member_admin"
    CENTRE_ADMIN = "centre_admin"
    AUDITOR = "auditor"


class ReportStatus(StrEnum):
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    RETRACTED = "retracted"


class Opinion(StrEnum):
    """The STIX 2.1 opinion scale (opinion-enum), for views exchanged on an item."""

    STRONGLY_DISAGREE = "strongly-disagree"
    DISAGREE = "disagree"
    NEUTRAL = "neutral"
    AGREE = "agree"
    STRONGLY_AGREE = "strongly-agree"
