"""Interoperability: TAXII status resources."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from markaz.storage.schema import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "taxii_status",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("member_code", sa.String(8), sa.ForeignKey("members.code"), nullable=False),
        sa.Column("principal_id", sa.Integer, sa.ForeignKey("principals.id"), nullable=False),
        sa.Column("collection_id", sa.String(36), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("total_count", sa.Integer, nullable=False),
        sa.Column("success_count", sa.Integer, nullable=False),
        sa.Column("failure_count", sa.Integer, nullable=False),
        sa.Column("pending_count", sa.Integer, nullable=False),
        sa.Column("successes", sa.JSON, nullable=False),
        sa.Column("failures", sa.JSON, nullable=False),
        sa.Column("pendings", sa.JSON, nullable=False),
    )
    op.create_index("ix_taxii_status_created_at", "taxii_status", ["created_at"])
    # TAXII feeds list retractions by the time they happened; few reports are retracted, so a
    # partial index finds them without scanning every report (and costs nothing on ingest).
    op.create_index(
        "ix_reports_retracted_at_interop",
        "reports",
        ["retracted_at", "id"],
        sqlite_where=sa.text("retracted_at IS NOT NULL"),
        postgresql_where=sa.text("retracted_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_reports_retracted_at_interop", table_name="reports")
    op.drop_index("ix_taxii_status_created_at", table_name="taxii_status")
    op.drop_table("taxii_status")
