"""Fusion: groups of same-audience observations replace their stored pairwise links (and an index for them).

The match graph is forgotten (decisions stay): the worker takes every observation in again under
the new layout, which is how `markaz fuse --rebuild` works too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _forget_graph() -> None:
    op.execute("DELETE FROM fusion_edges")
    op.execute("DELETE FROM fusion_gaps")
    op.execute("DELETE FROM fusion_nodes")
    op.execute("UPDATE fusion_state SET watermark = 0 WHERE id = 1")


def upgrade() -> None:
    _forget_graph()
    op.create_table(
        "fusion_audiences",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("members", sa.Text, nullable=False, unique=True),
    )
    op.add_column("fusion_nodes", sa.Column("audience", sa.Integer, nullable=False, server_default="0"))
    op.add_column("fusion_nodes", sa.Column("atom", sa.Integer, nullable=False, server_default="0"))
    op.create_index("ix_fusion_nodes_atom", "fusion_nodes", ["atom"])
    # Only track observations have a subject key: the index leaves the sites out.
    op.drop_index("ix_fusion_nodes_family_subject_key_t", "fusion_nodes")
    op.create_index(
        "ix_fusion_nodes_family_subject_key_t",
        "fusion_nodes",
        ["family", "subject_key", "t"],
        sqlite_where=sa.text("subject_key IS NOT NULL"),
        postgresql_where=sa.text("subject_key IS NOT NULL"),
    )
    if op.get_bind().dialect.name == "sqlite":
        # Site observations by position and time, with their family and what the matcher needs beside
        # each entry, so finding candidates reads the index alone.
        op.execute(
            "CREATE VIRTUAL TABLE fusion_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat, "
            "min_t, max_t, +family INTEGER, +atom INTEGER, +audience INTEGER, +category TEXT, "
            "+status TEXT, +lon REAL, +lat REAL, +t REAL)"
        )
    else:
        op.execute(
            "CREATE INDEX ix_fusion_nodes_point ON fusion_nodes "
            "USING gist (box(point(lon, lat), point(lon, lat)))"
        )


def downgrade() -> None:
    _forget_graph()
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE fusion_rtree")
    else:
        op.execute("DROP INDEX ix_fusion_nodes_point")
    op.drop_index("ix_fusion_nodes_atom", "fusion_nodes")
    op.drop_index("ix_fusion_nodes_family_subject_key_t", "fusion_nodes")
    op.create_index("ix_fusion_nodes_family_subject_key_t", "fusion_nodes", ["family", "subject_key", "t"])
    with op.batch_alter_table("fusion_nodes") as batch:
        batch.drop_column("atom")
        batch.drop_column("audience")
    op.drop_table("fusion_audiences")
