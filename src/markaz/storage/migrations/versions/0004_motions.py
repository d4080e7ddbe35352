"""Votes of the members: accession of candidates, suspension and reinstatement of members."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from markaz.storage.schema import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "motions",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("subject", sa.String(8), nullable=False),
        sa.Column("candidate", sa.JSON),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("opened_by", sa.String(8), sa.ForeignKey("members.code"), nullable=False),
        sa.Column("opened_at", UtcDateTime, nullable=False),
        sa.Column("deadline", UtcDateTime, nullable=False),
        sa.Column("quorum_num", sa.SmallInteger, nullable=False),
        sa.Column("quorum_den", sa.SmallInteger, nullable=False),
        sa.Column("rule", sa.String(12), nullable=False),
        sa.Column("decided_at", UtcDateTime),
        sa.Column("outcome", sa.JSON),
        sa.Column("credentials_issued", sa.Boolean, nullable=False),
    )
    op.create_table(
        "motion_votes",
        sa.Column("motion_id", sa.String(26), sa.ForeignKey("motions.id"), nullable=False),
        sa.Column("member_code", sa.String(8), sa.ForeignKey("members.code"), nullable=False),
        sa.Column("choice", sa.String(8), nullable=False),
        sa.Column("cast_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("motion_id", "member_code", name="pk_motion_votes"),
    )


def downgrade() -> None:
    op.drop_table("motion_votes")
    op.drop_table("motions")
