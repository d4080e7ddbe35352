"""Rate-limit leases with an expiry, so a process killed mid-window no longer keeps its share (issue 9)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_leases",
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("window_start", sa.Integer, nullable=False),
        sa.Column("holder", sa.String(32), nullable=False),
        sa.Column("reserved", sa.Integer, nullable=False),
        sa.Column("used", sa.Integer, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", "holder", name="pk_rate_leases"),
    )
    op.create_index("ix_rate_leases_window_start", "rate_leases", ["window_start"])
    # Before this revision, rate_windows.count held reservations as well as use; the windows
    # that were open during the upgrade end within a minute, so they are simply kept.


def downgrade() -> None:
    op.drop_index("ix_rate_leases_window_start", table_name="rate_leases")
    op.drop_table("rate_leases")
