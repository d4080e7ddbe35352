"""Exchange of views (comments, opinions) and situation reports."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from markaz.storage.schema import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "comments",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("target_type", sa.String(8), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("parent_id", sa.String(26), sa.ForeignKey("comments.id")),
        sa.Column("member_code", sa.String(8), sa.ForeignKey("members.code"), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("principals.id"), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("opinion", sa.String(20)),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_comments_target_type_target_id", "comments", ["target_type", "target_id"])
    op.create_table(
        "comment_notifications",
        sa.Column("comment_id", sa.String(26), sa.ForeignKey("comments.id"), nullable=False),
        sa.Column("member_code", sa.String(8), sa.ForeignKey("members.code"), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("comment_id", "member_code", name="pk_comment_notifications"),
    )
    op.create_index(
        "ix_comment_notifications_member_code_comment_id",
        "comment_notifications",
        ["member_code", "comment_id"],
    )
    op.create_table(
        "centre_products",
        sa.Column("report_id", sa.String(26), sa.ForeignKey("reports.id"), primary_key=True),
        sa.Column("published_by", sa.String(8), sa.ForeignKey("members.code"), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("published_at", UtcDateTime, nullable=False),
        sa.Column("since", UtcDateTime, nullable=False),
        sa.Column("until", UtcDateTime, nullable=False),
        sa.Column("bbox", sa.JSON),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("audience", sa.JSON, nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("centre_products")
    op.drop_table("comment_notifications")
    op.drop_table("comments")
