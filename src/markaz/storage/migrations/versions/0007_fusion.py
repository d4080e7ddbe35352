"""Analysis: fused sites and tracks, their contributions, analysts' split and merge decisions."""

from __future__ import annotations

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
