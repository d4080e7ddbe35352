"""Tables of fusion: what fusion knows of each observation, the match graph, analysts' decisions."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)

from markaz.storage.schema import UtcDateTime, metadata

# One row per observation fusion has taken in, denormalised from the observation and its
# report so the matcher and the per-viewer reads touch one narrow table. `family` is NULL for
# categories that are not fused (`other`); the row still marks the observation as taken in.
fusion_nodes = Table(
    "fusion_nodes",
    metadata,
    Column("obs_id", Integer, ForeignKey("observations.id"), primary_key=True, autoincrement=False),
    Column("report_id", String(26), ForeignKey("reports.id"), nullable=False),
    Column("family", String(16)),
    Column("category", String(20), nullable=False),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("t", Float, nullable=False),
    Column("originator", String(8), nullable=False),
    Column("status", String(10), nullable=False),
    Column("credibility", String(1), nullable=False),
    Column("reliability", String(1), nullable=False),
    Column("subject", String(200)),
    Column("subject_key", String(200)),
    Column("points", JSON),
    # Who may see the observation (fusion_audiences), and the group of observations of the
    # same audience that match one another directly or through each other (its smallest id).
    Column("audience", Integer, nullable=False, server_default="0"),
    Column("atom", Integer, nullable=False, server_default="0"),
    Index(None, "report_id"),
    # Tracks only: site observations have no subject key and stay out of this index.
    Index(
        None,
        "family",
        "subject_key",
        "t",
        sqlite_where=text("subject_key IS NOT NULL"),
        postgresql_where=text("subject_key IS NOT NULL"),
    ),
    Index(None, "atom"),
)
# On SQLite, site observations are also rows of `fusion_cells` (migration 0016), keyed by family,
# grid cell, time and id, with position, atom, audience, category and status beside
# (storage.fusion_graph.CELL_DEG).

# The distinct sets of members observations are released to, each once ("IQ RU SY").
fusion_audiences = Table(
    "fusion_audiences",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("members", Text, nullable=False, unique=True),
)

# The stored part of the match graph: one row per pair of observations that match but are
# released to different sets of members, or contradict each other without matching, the
# smaller id first. Pairs that match and share their audience are not stored: they are
# implied by their common atom and recomputed from the nodes when read (docs/analysis.md).
fusion_edges = Table(
    "fusion_edges",
    metadata,
    Column("a", Integer, nullable=False),
    Column("b", Integer, nullable=False),
    Column("matched", Boolean, nullable=False),
    Column("conflict", String(10)),
    Column("distance_m", Float, nullable=False),
    Column("seconds", Float, nullable=False),
    PrimaryKeyConstraint("a", "b"),
    Index(None, "b"),
)

# The durable watermark: every observation id up to `watermark` has been taken in (or never
# existed). Ids above it that are missing while later ones are stored are "gaps": on
# PostgreSQL a transaction still in flight can commit them later, so they are remembered and
# only given up after a grace period.
fusion_state = Table(
    "fusion_state",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("watermark", Integer, nullable=False),
)

fusion_gaps = Table(
    "fusion_gaps",
    metadata,
    Column("obs_id", Integer, primary_key=True, autoincrement=False),
    Column("seen_at", UtcDateTime, nullable=False),
)

# Analysts' decisions: a split keeps groups of observations apart, a merge joins them. Each
# applies to every member that may see all the observations it names (see docs/analysis.md).
fusion_decisions = Table(
    "fusion_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(8), nullable=False),
    Column("family", String(16), nullable=False),
    Column("member", String(8), ForeignKey("members.code"), nullable=False),
    Column("decided_by", String(64), nullable=False),
    Column("decided_at", UtcDateTime, nullable=False),
    Column("reason", Text, nullable=False),
)

fusion_decision_observations = Table(
    "fusion_decision_observations",
    metadata,
    Column("decision_id", Integer, ForeignKey("fusion_decisions.id"), nullable=False),
    Column("obs_id", Integer, ForeignKey("observations.id"), nullable=False),
    Column("grp", SmallInteger, nullable=False),
    PrimaryKeyConstraint("decision_id", "obs_id"),
    Index(None, "obs_id"),
)
