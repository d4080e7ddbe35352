"""Fusion on SQLite: site observations in a table keyed by grid cell and time instead of an R*Tree.

The graph is kept: the new table is filled from fusion_nodes. PostgreSQL is unchanged (its GiST
index on the nodes' points stays).
"""

from __future__ import annotations

import math

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# As storage.fusion_graph.CELL_DEG and the site families of analysis.families at this revision.
CELL_DEG = 0.025
SITE_FAMILIES = ("incident", "installation", "presence")
MONTH = 30 * 86400.0


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    op.execute("DROP TABLE fusion_rtree")
    op.execute(
        "CREATE TABLE fusion_cells (family TEXT NOT NULL, cy INTEGER NOT NULL, cx INTEGER NOT NULL, "
        "t REAL NOT NULL, id INTEGER NOT NULL, lon REAL NOT NULL, lat REAL NOT NULL, "
        "atom INTEGER NOT NULL, audience INTEGER NOT NULL, category TEXT NOT NULL, status TEXT NOT NULL, "
        "PRIMARY KEY (family, cy, cx, t, id)) WITHOUT ROWID"
    )
    rows = bind.exec_driver_sql(
        "SELECT family, lat, lon, t, obs_id, atom, audience, category, status FROM fusion_nodes "
        f"WHERE family IN ({', '.join(repr(f) for f in SITE_FAMILIES)})"
    ).fetchall()
    if rows:
        bind.exec_driver_sql(
            "INSERT INTO fusion_cells (family, cy, cx, t, id, lon, lat, atom, audience, category, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            sorted(
                (f, math.floor(lat / CELL_DEG), math.floor(lon / CELL_DEG), t, i, lon, lat, a, au, c, s)
                for f, lat, lon, t, i, a, au, c, s in rows
            ),
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TABLE fusion_cells")
    op.execute(
        "CREATE VIRTUAL TABLE fusion_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat, "
        "min_t, max_t, +family INTEGER, +atom INTEGER, +audience INTEGER, +category TEXT, "
        "+status TEXT, +lon REAL, +lat REAL, +t REAL)"
    )
    codes = " ".join(f"WHEN {f!r} THEN {i}" for i, f in enumerate(SITE_FAMILIES))
    op.execute(
        sa.text(
            f"INSERT INTO fusion_rtree SELECT obs_id, lon, lon, lat, lat, t / {MONTH}, t / {MONTH}, "
            f"CASE family {codes} END, atom, audience, category, status, lon, lat, t FROM fusion_nodes "
            f"WHERE family IN ({', '.join(repr(f) for f in SITE_FAMILIES)})"
        )
    )
