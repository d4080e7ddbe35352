"""Sharing circles: named sets of members that reports can be released to."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from markaz.storage.schema import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "circles",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("description", sa.String(300), nullable=False),
        sa.Column("created_by", sa.String(8), sa.ForeignKey("members.code"), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
    )
    op.create_table(
        "circle_members",
        sa.Column("circle_name", sa.String(64), sa.ForeignKey("circles.name"), nullable=False),
        sa.Column("member_code", sa.String(8), sa.ForeignKey("members.code"), nullable=False),
        sa.Column("consented_at", UtcDateTime),
        sa.PrimaryKeyConstraint("circle_name", "member_code", name="pk_circle_members"),
    )


def downgrade() -> None:
    op.drop_table("circle_members")
    op.drop_table("circles")
