"""Browser sessions remember when they were last used, for the idle timeout (issue 8)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from markaz.storage.schema import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, so that adding it needs no table rebuild on SQLite; sessions open before the
    # upgrade count as last used when they were created (markaz.storage.web_sessions).
    op.add_column("web_sessions", sa.Column("last_seen_at", UtcDateTime, nullable=True))
    op.execute("UPDATE web_sessions SET last_seen_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("web_sessions") as batch:
        batch.drop_column("last_seen_at")
