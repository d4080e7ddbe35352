"""SQLite: the R*Tree over observations is written by the storage code, not by a per-row trigger."""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Every write path inserts observations through StorageDialect.insert_observations,
        # which writes the R*Tree rows in one executemany (half the cost of the trigger).
        op.execute("DROP TRIGGER IF EXISTS observations_rtree_ai")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER observations_rtree_ai AFTER INSERT ON observations BEGIN "
            "INSERT INTO observation_rtree VALUES "
            "(new.id, new.min_lon, new.max_lon, new.min_lat, new.max_lat); END"
        )
