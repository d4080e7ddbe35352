"""The rotating chair: the rotation's settings and the terms served."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chair_rotation",
        sa.Column("id", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("first_chair", sa.String(8), sa.ForeignKey("members.code"), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("term_months", sa.SmallInteger, nullable=False),
    )
    op.create_table(
        "chair_terms",
        sa.Column("starts_on", sa.Date, primary_key=True),
        sa.Column("member_code", sa.String(8), sa.ForeignKey("members.code"), nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("closed_early", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("chair_terms")
    op.drop_table("chair_rotation")
