"""Analysis: fused sites and tracks, their contributions, analysts' split and merge decisions."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from markaz.storage.schema import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fusion_nodes",
        sa.Column(
            "obs_id", sa.Integer, sa.ForeignKey("observations.id"), primary_key=True, autoincrement=False
        ),
        sa.Column("report_id", sa.String(26), sa.ForeignKey("reports.id"), nullable=False),
        sa.Column("family", sa.String(16)),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("t", sa.Float, nullable=False),
        sa.Column("originator", sa.String(8), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("credibility", sa.String(1), nullable=False),
        sa.Column("reliability", sa.String(1), nullable=False),
        sa.Column("subject", sa.String(200)),
        sa.Column("subject_key", sa.String(200)),
        sa.Column("points", sa.JSON),
    )
    op.create_index("ix_fusion_nodes_report_id", "fusion_nodes", ["report_id"])
    op.create_index("ix_fusion_nodes_family_subject_key_t", "fusion_nodes", ["family", "subject_key", "t"])
    op.create_table(
        "fusion_edges",
        sa.Column("a", sa.Integer, nullable=False),
        sa.Column("b", sa.Integer, nullable=False),
        sa.Column("matched", sa.Boolean, nullable=False),
        sa.Column("conflict", sa.String(10)),
        sa.Column("distance_m", sa.Float, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("a", "b", name="pk_fusion_edges"),
    )
    op.create_index("ix_fusion_edges_b", "fusion_edges", ["b"])
    op.create_table(
        "fusion_state",
        sa.Column("id", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("watermark", sa.Integer, nullable=False),
    )
    op.execute("INSERT INTO fusion_state (id, watermark) VALUES (1, 0)")
    op.create_table(
        "fusion_gaps",
        sa.Column("obs_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seen_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "fusion_decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("family", sa.String(16), nullable=False),
        sa.Column("member", sa.String(8), sa.ForeignKey("members.code"), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=False),
        sa.Column("decided_at", UtcDateTime, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_table(
        "fusion_decision_observations",
        sa.Column("decision_id", sa.Integer, sa.ForeignKey("fusion_decisions.id"), nullable=False),
        sa.Column("obs_id", sa.Integer, sa.ForeignKey("observations.id"), nullable=False),
        sa.Column("grp", sa.SmallInteger, nullable=False),
        sa.PrimaryKeyConstraint("decision_id", "obs_id", name="pk_fusion_decision_observations"),
    )
    op.create_index("ix_fusion_decision_observations_obs_id", "fusion_decision_observations", ["obs_id"])


def downgrade() -> None:
    op.drop_table("fusion_decision_observations")
    op.drop_table("fusion_decisions")
    op.drop_table("fusion_gaps")
    op.drop_table("fusion_state")
    op.drop_table("fusion_edges")
    op.drop_table("fusion_nodes")
