"""The SQLAlchemy schema shared by SQLite and PostgreSQL; dialect-only pieces live in dialects.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to storage")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

members = Table(
    "members",
    metadata,
    Column("code", String(8), primary_key=True),
    Column("names", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("joined_at", UtcDateTime, nullable=False),
    Column("founding_order", Integer, nullable=False),
)

principals = Table(
    "principals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_code", String(8), ForeignKey("members.code"), nullable=False),
    Column("username", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("disabled_at", UtcDateTime),
    Index(None, "member_code"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("principal_id", Integer, ForeignKey("principals.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    # read | write | admin (markaz.security.scopes); tokens older than scopes are "admin".
    Column("scope", String(8), nullable=False, server_default="admin"),
    Index(None, "principal_id"),
)

reports = Table(
    "reports",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("originator", String(8), ForeignKey("members.code"), nullable=False),
    Column("author_id", Integer, ForeignKey("principals.id"), nullable=False),
    Column("author", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("observed_at", UtcDateTime),
    Column("title", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("language", String(35)),
    Column("precedence", String(10), nullable=False),
    Column("precedence_rank", SmallInteger, nullable=False),
    Column("source_reliability", String(1), nullable=False),
    Column("information_credibility", String(1), nullable=False),
    Column("tlp", String(12), nullable=False),
    Column("releasable_to", JSON, nullable=False),
    Column("status", String(12), nullable=False),
    Column("supersedes", String(26), ForeignKey("reports.id")),
    Column("superseded_by", String(26)),
    Column("retracted_at", UtcDateTime),
    Column("retraction_reason", Text),
    Column("client_ref", String(200)),
    UniqueConstraint("originator", "client_ref"),
    Index(None, "created_at"),
)

# The resolved releasability set, one row per (member, report): a visibility check is an
# indexed join on (member_code, report_id), never a subquery over labels.
report_access = Table(
    "report_access",
    metadata,
    Column("member_code", String(8), ForeignKey("members.code"), nullable=False),
    Column("report_id", String(26), ForeignKey("reports.id"), nullable=False),
    PrimaryKeyConstraint("member_code", "report_id"),
    Index(None, "report_id"),
)

observations = Table(
    "observations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_id", String(26), ForeignKey("reports.id"), nullable=False),
    Column("ordinal", SmallInteger, nullable=False),
    Column("category", String(20), nullable=False),
    Column("geometry", JSON, nullable=False),
    Column("min_lon", Float, nullable=False),
    Column("min_lat", Float, nullable=False),
    Column("max_lon", Float, nullable=False),
    Column("max_lat", Float, nullable=False),
    Column("observed_at", UtcDateTime),
    Column("subject", String(200)),
    Column("note", Text),
    Index(None, "report_id"),
    Index(None, "category"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(80), nullable=False),
    Column("action", String(40), nullable=False),
    Column("object_type", String(20), nullable=False),
    Column("object_id", String(64), nullable=False),
    Column("object_hash", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    Index(None, "object_type", "object_id"),
)

# One row: the head of the audit chain. Writers lock it (FOR UPDATE on PostgreSQL; SQLite has
# one writer anyway) so concurrent writers append to the chain one after another.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

# A circle is active once every member has consented; until then it cannot be released to.
circles = Table(
    "circles",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("description", String(300), nullable=False),
    Column("created_by", String(8), ForeignKey("members.code"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("status", String(12), nullable=False),
)

circle_members = Table(
    "circle_members",
    metadata,
    Column("circle_name", String(64), ForeignKey("circles.name"), nullable=False),
    Column("member_code", String(8), ForeignKey("members.code"), nullable=False),
    Column("consented_at", UtcDateTime),
    PrimaryKeyConstraint("circle_name", "member_code"),
)

# The rotation's settings (one row) and the terms that have begun. Terms still to come are
# computed from the rotation and the members' state, so suspensions and accessions shift them.
chair_rotation = Table(
    "chair_rotation",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("first_chair", String(8), ForeignKey("members.code"), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("term_months", SmallInteger, nullable=False),
)

chair_terms = Table(
    "chair_terms",
    metadata,
    Column("starts_on", Date, primary_key=True),
    Column("member_code", String(8), ForeignKey("members.code"), nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("closed_early", Boolean, nullable=False),
)

# A motion is put to the vote of the active members: an accession, a suspension, a reinstatement.
motions = Table(
    "motions",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("kind", String(12), nullable=False),
    Column("subject", String(8), nullable=False),
    Column("candidate", JSON),
    Column("status", String(12), nullable=False),
    Column("opened_by", String(8), ForeignKey("members.code"), nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("deadline", UtcDateTime, nullable=False),
    Column("quorum_num", SmallInteger, nullable=False),
    Column("quorum_den", SmallInteger, nullable=False),
    Column("rule", String(12), nullable=False),
    Column("decided_at", UtcDateTime),
    Column("outcome", JSON),
    Column("credentials_issued", Boolean, nullable=False),
)

motion_votes = Table(
    "motion_votes",
    metadata,
    Column("motion_id", String(26), ForeignKey("motions.id"), nullable=False),
    Column("member_code", String(8), ForeignKey("members.code"), nullable=False),
    Column("choice", String(8), nullable=False),
    Column("cast_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("motion_id", "member_code"),
)

# Work that runs after the commit, claimed by workers by priority then age. Written in the
# transaction that stores what it is about, so a crash loses nothing that was acknowledged.
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    Column("ref", String(64), nullable=False),
    Column("priority", SmallInteger, nullable=False),
    Column("state", String(10), nullable=False),
    Column("attempts", SmallInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("claimed_at", UtcDateTime),
    Column("last_error", Text),
    Index(None, "state", "priority", "id"),
)

# Observations the extractor suggests for a report sent as free text, kept apart from the
# author's own until the originator confirms (they become observations) or dismisses them.
suggestions = Table(
    "suggestions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_id", String(26), ForeignKey("reports.id"), nullable=False),
    Column("category", String(20), nullable=False),
    Column("geometry", JSON, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("state", String(10), nullable=False),
    Column("decided_by", String(64)),
    Column("decided_at", UtcDateTime),
    Index(None, "report_id"),
)
