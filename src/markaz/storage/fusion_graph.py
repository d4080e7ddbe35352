"""Fusion's write side: taking observations in, their audiences and atoms, the stored links, the watermark."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, delete, insert, select, update

from markaz.analysis.families import SITE_FAMILIES
from markaz.analysis.matching import Link, Node
from markaz.storage.database import SQLITE_CACHE_KIB
from markaz.storage.dialects import StorageDialect
from markaz.storage.in_list import one_of
from markaz.storage.schema import observations, report_access
from markaz.storage.schema_fusion import (
    fusion_audiences,
    fusion_edges,
    fusion_gaps,
    fusion_nodes,
    fusion_state,
)

# A missing observation id below the highest one taken in may belong to a PostgreSQL
# transaction still in flight; after this long it is taken to have been rolled back.
GAP_GRACE = timedelta(minutes=10)
CHUNK = 500
# Candidate rows fetched per round trip from PostgreSQL's server-side cursor: what a run
# holds of its candidates at a time.
STREAM_ROWS = 2000
NODE_COLUMNS = (
    "obs_id, report_id, family, category, lon, lat, t, originator, status, credibility, "
    "reliability, subject, subject_key, points"
)
# On SQLite, site observations are also rows of `fusion_cells` (migration 0016), keyed by
# (family, grid cell, time, id) and carrying what the matcher needs, so a search reads that
# table's B-tree alone: one seek per cell the search box touches, straight to the time window.
# Cells are 0.025 degrees (2.8 km of latitude): a search box of the default 1 km reach touches
# two to four of them; a larger configured radius touches more, and nothing needs rebuilding.
# Measured on a million observations (2-core machine): 7 us per search and 7.5 us per insert,
# where the R*Tree it replaces took 26 and about 20.
CELL_DEG = 0.025


def cell_of(lon: float, lat: float) -> tuple[int, int]:
    """The grid cell (row, column) of a position in `fusion_cells`."""
    return math.floor(lat / CELL_DEG), math.floor(lon / CELL_DEG)


def _cell_key(n: Node) -> tuple[str, int, int, float, int]:
    cy, cx = cell_of(n.lon, n.lat)
    return n.family, cy, cx, n.t, n.id


def node_from(row: Sequence[Any]) -> Node:
    """A Node from a row in NODE_COLUMNS order (a DBAPI tuple or a SQLAlchemy row)."""
    points = row[13]
    if isinstance(points, str):
        points = orjson.loads(points)
    return Node(
        id=int(row[0]),
        report_id=row[1],
        family=row[2] or "",
        category=row[3],
        lon=float(row[4]),
        lat=float(row[5]),
        t=float(row[6]),
        originator=row[7],
        status=row[8],
        credibility=row[9],
        reliability=row[10],
        subject=row[11],
        subject_key=row[12],
        points=tuple((float(p[0]), float(p[1])) for p in points) if points else (),
    )


@contextmanager
def working_cache(conn: Connection, dialect: StorageDialect, mib: int) -> Iterator[None]:
    """On SQLite, a larger page cache for the connection while one fusion run holds it.

    A run reads and writes index pages all over the graph (random positions in `fusion_cells`
    and the atom index); with the pool's 2 MiB per connection, a million observations spent more
    time re-reading pages than matching. The cache is set back when the run ends, which frees
    the pages.
    """
    if dialect.name != "sqlite":
        yield
        return
    conn.exec_driver_sql(f"PRAGMA cache_size=-{int(mib) * 1024}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")


def lock_state(conn: Connection, dialect: StorageDialect) -> int:
    """The highest observation id taken in, locked so one fusion run works at a time."""
    query = select(fusion_state.c.watermark).where(fusion_state.c.id == 1)
    if dialect.name == "postgresql":
        query = query.with_for_update()
    return int(conn.execute(query).scalar_one())


_PENDING = (
    "SELECT o.id, o.report_id, o.category, o.geometry, o.observed_at, o.subject, o.note, r.originator, "
    "r.observed_at, r.created_at, r.source_reliability, r.information_credibility "
)
# The gaps drive their query (CROSS JOIN fixes SQLite's order): joined the other way round,
# SQLite walked every observation in id order once per batch to find the few gaps, which made
# fusing a million observations cost the square of their number.
_GAPS = (
    "FROM fusion_gaps g CROSS JOIN observations o CROSS JOIN reports r "
    "WHERE o.id = g.obs_id AND r.id = o.report_id "
)
_FRESH = "FROM observations o JOIN reports r ON r.id = o.report_id "
_EPOCH = datetime(1970, 1, 1)


def _seconds(value: Any) -> float:
    """A stored time as seconds since the epoch (SQLite keeps UTC as text without a zone)."""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if when.tzinfo is not None:
        return when.timestamp()
    # The same arithmetic as timestamp() on the value made aware (UTC), without building that.
    return (when - _EPOCH).total_seconds()


def pending(conn: Connection, dialect: StorageDialect, watermark: int, limit: int) -> list[tuple[Any, ...]]:
    """Observations not yet taken in: gaps that have since been committed, then new ids.

    Each as the tuple `analysis.fusion.node_of` reads: (id, report_id, category, geometry,
    t, subject, note, originator, source_reliability, information_credibility), where t is
    the first present of the observation's time, the report's observed_at and its created_at.
    Read on the driver's cursor: SQLAlchemy's per-row result processing cost as much as the
    matching on a million observations.
    """
    mark = "%s" if dialect.name == "postgresql" else "?"
    raw = conn.connection.driver_connection
    assert raw is not None
    cur = raw.cursor()
    try:
        cur.execute(_PENDING + _GAPS + "ORDER BY o.id")
        rows = cur.fetchall()
        cur.execute(_PENDING + _FRESH + f"WHERE o.id > {mark} ORDER BY o.id LIMIT {mark}", (watermark, limit))
        rows += cur.fetchall()
    finally:
        cur.close()
    loads, seconds = orjson.loads, _seconds
    return [
        (
            obs_id,
            report_id,
            category,
            loads(geometry) if isinstance(geometry, str) else geometry,
            seconds(observed_at or report_observed_at or created_at),
            subject,
            note,
            originator,
            reliability,
            credibility,
        )
        for (
            obs_id,
            report_id,
            category,
            geometry,
            observed_at,
            subject,
            note,
            originator,
            report_observed_at,
            created_at,
            reliability,
            credibility,
        ) in rows
    ]


def has_pending(conn: Connection) -> bool:
    watermark = conn.execute(select(fusion_state.c.watermark).where(fusion_state.c.id == 1)).scalar_one()
    newer = select(observations.c.id).where(observations.c.id > watermark).limit(1)
    return (
        conn.execute(newer).first() is not None
        or conn.execute(select(fusion_gaps.c.obs_id).limit(1)).first() is not None
    )


def audiences(conn: Connection, report_ids: Iterable[str]) -> dict[str, int]:
    """For each report, the id of the set of members it is released to (report_access, which
    never changes after acceptance); new sets are numbered as they first appear."""
    members: dict[str, list[str]] = {}
    ids = sorted(set(report_ids))
    for start in range(0, len(ids), CHUNK):
        for rid, code in conn.execute(
            select(report_access.c.report_id, report_access.c.member_code).where(
                one_of(report_access.c.report_id, ids[start : start + CHUNK])
            )
        ):
            members.setdefault(rid, []).append(code)
    keys = {rid: " ".join(sorted(members.get(rid, ()))) for rid in ids}
    known = {m: int(i) for i, m in conn.execute(select(fusion_audiences.c.id, fusion_audiences.c.members))}
    for key in sorted(set(keys.values()) - known.keys()):
        known[key] = int(
            conn.execute(
                insert(fusion_audiences).values(members=key).returning(fusion_audiences.c.id)
            ).scalar_one()
        )
    return {rid: known[key] for rid, key in keys.items()}


def advance(conn: Connection, watermark: int, taken: Iterable[int], now: datetime) -> int:
    """Move the watermark over what was taken in; remember ids skipped below it as gaps."""
    taken = sorted(set(taken))
    # Only ids below the watermark can have been gaps.
    filled = [i for i in taken if i <= watermark]
    for start in range(0, len(filled), CHUNK):
        conn.execute(delete(fusion_gaps).where(fusion_gaps.c.obs_id.in_(filled[start : start + CHUNK])))
    fresh = [i for i in taken if i > watermark]
    if fresh:
        got = set(fresh)
        gaps = [{"obs_id": i, "seen_at": now} for i in range(watermark + 1, fresh[-1]) if i not in got]
        if gaps:
            conn.execute(insert(fusion_gaps), gaps)
        watermark = fresh[-1]
        conn.execute(update(fusion_state).where(fusion_state.c.id == 1).values(watermark=watermark))
    conn.execute(delete(fusion_gaps).where(fusion_gaps.c.seen_at < now - GAP_GRACE))
    return watermark


class Candidates:
    """Already-fused observations that may match new ones, found in bulk through the indexes,
    and the writes of a fusion run; on the DBAPI cursor of the caller's transaction.

    One query per batch joins the batch's search boxes to the index (the `fusion_cells` table
    on SQLite, which carries beside each entry everything the matcher needs; a GiST index on the
    nodes' points on PostgreSQL), so the per-observation loop runs inside the database. The
    candidates are streamed from the cursor, to be read before the next query: a batch whose
    observations share a busy subject can have millions of candidate rows, most skipped without
    being built, and a list of them all held memory in proportion. On PostgreSQL that takes a
    server-side cursor (psycopg's ordinary cursor receives the whole result before the first
    row), fetched STREAM_ROWS at a time.
    """

    def __init__(self, conn: Connection, dialect: StorageDialect) -> None:
        raw = conn.connection.driver_connection
        assert raw is not None
        self._raw = raw
        self._cur = raw.cursor()
        self._stream: Any = None
        self._pg = dialect.name == "postgresql"
        self._mark = "%s" if self._pg else "?"

    def _pg_stream(self, query: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        """Run a candidate query on the run's server-side cursor (declared again each time)."""
        if self._stream is None:
            self._stream = self._raw.cursor(name="markaz_fusion_candidates")
            self._stream.itersize = STREAM_ROWS
        self._stream.execute(query, params)
        return iter(self._stream)

    def sites(
        self, probes: Sequence[tuple[int, float, float, float, float, str, float, float]]
    ) -> Iterator[tuple[Any, ...]]:
        """(probe id, obs_id, category, lon, lat, t, status, audience, atom) for each node of the
        probe's family inside its box and time window (probe: id, min_lon, min_lat, max_lon,
        max_lat, family, earliest t, latest t). The caller checks the distance."""
        if not probes:
            return iter(())
        if self._pg:
            columns = list(zip(*probes, strict=True))
            return self._pg_stream(
                "SELECT q.pid, c.obs_id, c.category, c.lon, c.lat, c.t, c.status, c.audience, c.atom FROM "
                "unnest(%s::bigint[], %s::float8[], %s::float8[], %s::float8[], %s::float8[], %s::text[], "
                "%s::float8[], %s::float8[]) AS q(pid, x0, y0, x1, y1, family, tlo, thi) "
                "CROSS JOIN LATERAL (SELECT n.obs_id, n.category, n.lon, n.lat, n.t, n.status, n.audience, "
                "n.atom FROM fusion_nodes n "
                "WHERE box(point(n.lon, n.lat), point(n.lon, n.lat)) "
                "&& box(point(q.x0, q.y0), point(q.x1, q.y1)) "
                "AND (n.family || '') = q.family AND (n.t + 0) BETWEEN q.tlo AND q.thi OFFSET 0) AS c",
                [list(c) for c in columns],
            )
        # One row per probe with its first cell and how many more its box spans, joined to the
        # offsets that many: the probe table stays one row per probe.
        rows = []
        span_y = span_x = 0
        floor, size = math.floor, CELL_DEG
        for pid, x0, y0, x1, y1, family, tlo, thi in probes:
            cy0, cx0 = floor(y0 / size), floor(x0 / size)
            dy, dx = floor(y1 / size) - cy0, floor(x1 / size) - cx0
            span_y, span_x = max(span_y, dy), max(span_x, dx)
            rows.append((pid, family, cy0, cx0, dy, dx, x0, y0, x1, y1, tlo, thi))
        cur = self._cur
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS fusion_cell_probe (pid INTEGER, family TEXT, cy INTEGER, "
            "cx INTEGER, dy INTEGER, dx INTEGER, x0 REAL, y0 REAL, x1 REAL, y1 REAL, tlo REAL, thi REAL)"
        )
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS fusion_cell_offset (dy INTEGER, dx INTEGER)")
        cur.execute("DELETE FROM fusion_cell_probe")
        cur.execute("DELETE FROM fusion_cell_offset")
        cur.executemany("INSERT INTO fusion_cell_probe VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        cur.executemany(
            "INSERT INTO fusion_cell_offset VALUES (?, ?)",
            [(dy, dx) for dy in range(span_y + 1) for dx in range(span_x + 1)],
        )
        # CROSS JOIN fixes the order: for each probe, one seek per cell its box covers into the
        # table's key, straight to the time window; rows come grouped by probe.
        cur.execute(
            "SELECT q.pid, c.id, c.category, c.lon, c.lat, c.t, c.status, c.audience, c.atom "
            "FROM fusion_cell_probe q CROSS JOIN fusion_cell_offset o CROSS JOIN fusion_cells c "
            "WHERE o.dy <= q.dy AND o.dx <= q.dx "
            "AND c.family = q.family AND c.cy = q.cy + o.dy AND c.cx = q.cx + o.dx "
            "AND c.t BETWEEN q.tlo AND q.thi AND c.lon BETWEEN q.x0 AND q.x1 AND c.lat BETWEEN q.y0 AND q.y1"
        )
        return iter(self._cur)

    def same_subject(self, probes: Sequence[tuple[int, str, str, float, float]]) -> Iterator[tuple[Any, ...]]:
        """(probe id, audience, atom, the node's NODE_COLUMNS...) for each node of the probe's
        family and subject key in its time window (probe: id, family, subject key, earliest t,
        latest t). The caller builds a Node (node_from) only for candidates it has to match."""
        if not probes:
            return iter(())
        cols = "n.audience, n.atom, " + ", ".join(f"n.{c.strip()}" for c in NODE_COLUMNS.split(","))
        if self._pg:
            return self._pg_stream(
                f"SELECT q.pid, {cols} FROM unnest(%s::bigint[], %s::text[], %s::text[], "
                "%s::float8[], %s::float8[]) AS q(pid, family, skey, tlo, thi) CROSS JOIN LATERAL "
                "(SELECT * FROM fusion_nodes m WHERE m.family = q.family AND m.subject_key = q.skey "
                "AND m.t BETWEEN q.tlo AND q.thi OFFSET 0) AS n",
                [list(c) for c in zip(*probes, strict=True)],
            )
        self._cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS fusion_subject_probe "
            "(pid INTEGER, family TEXT, skey TEXT, tlo REAL, thi REAL)"
        )
        self._cur.execute("DELETE FROM fusion_subject_probe")
        self._cur.executemany("INSERT INTO fusion_subject_probe VALUES (?, ?, ?, ?, ?)", probes)
        self._cur.execute(
            f"SELECT q.pid, {cols} FROM fusion_subject_probe q CROSS JOIN fusion_nodes n "
            "WHERE n.family = q.family AND n.subject_key = q.skey AND n.t BETWEEN q.tlo AND q.thi"
        )
        return iter(self._cur)

    def insert_nodes(
        self, nodes: Sequence[Node], audience: Mapping[int, int], atom: Mapping[int, int]
    ) -> None:
        """The batch's nodes with their audiences and atoms (and, on SQLite, the `fusion_cells`
        rows of site observations), with one executemany each."""
        if not nodes:
            return
        m = self._mark
        self._cur.executemany(
            f"INSERT INTO fusion_nodes ({NODE_COLUMNS}, audience, atom) VALUES ({', '.join([m] * 16)})",
            [
                (
                    n.id,
                    n.report_id,
                    n.family or None,
                    n.category,
                    n.lon,
                    n.lat,
                    n.t,
                    n.originator,
                    n.status,
                    n.credibility,
                    n.reliability,
                    n.subject,
                    n.subject_key,
                    orjson.dumps([list(p) for p in n.points]).decode() if n.points else None,
                    audience[n.id],
                    atom[n.id],
                )
                for n in nodes
            ],
        )
        if not self._pg:
            self._cur.executemany(
                "INSERT INTO fusion_cells (family, cy, cx, t, id, lon, lat, atom, audience, category, "
                "status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                sorted(
                    (*_cell_key(n), n.lon, n.lat, atom[n.id], audience[n.id], n.category, n.status)
                    for n in nodes
                    if n.family in SITE_FAMILIES
                ),
            )

    def relabel(self, moves: Mapping[int, int]) -> None:
        """Atoms joined by this run: every node of atom `old` now belongs to atom `new`."""
        if not moves:
            return
        m = self._mark
        pairs = sorted(moves.items())
        if not self._pg:
            # The table is keyed by cell and time: the moved site nodes' keys come from their rows.
            olds = [old for old, _ in pairs]
            updates = []
            for start in range(0, len(olds), CHUNK):
                chunk = olds[start : start + CHUNK]
                self._cur.execute(
                    "SELECT obs_id, family, lon, lat, t, atom FROM fusion_nodes "
                    f"WHERE atom IN ({', '.join('?' * len(chunk))})",
                    chunk,
                )
                for obs_id, family, lon, lat, t, old in self._cur.fetchall():
                    if family in SITE_FAMILIES:
                        cy, cx = cell_of(lon, lat)
                        updates.append((moves[old], family, cy, cx, t, obs_id))
            self._cur.executemany(
                "UPDATE fusion_cells SET atom = ? "
                "WHERE family = ? AND cy = ? AND cx = ? AND t = ? AND id = ?",
                sorted(updates, key=lambda u: u[1:]),
            )
        self._cur.executemany(
            f"UPDATE fusion_nodes SET atom = {m} WHERE atom = {m}", [(new, old) for old, new in pairs]
        )

    def insert_links(self, links: Sequence[Link]) -> None:
        if not links:
            return
        m = self._mark
        self._cur.executemany(
            "INSERT INTO fusion_edges (a, b, matched, conflict, distance_m, seconds) "
            f"VALUES ({', '.join([m] * 6)})",
            [(lk.a, lk.b, lk.matched, lk.conflict, lk.distance_m, lk.seconds) for lk in links],
        )

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
        self._cur.close()


def clear(conn: Connection, dialect: StorageDialect) -> None:
    """Forget the match graph (decisions stay): the next runs take every observation in again."""
    conn.execute(delete(fusion_edges))
    conn.execute(delete(fusion_gaps))
    conn.execute(delete(fusion_nodes))
    if dialect.name == "sqlite":
        conn.exec_driver_sql("DELETE FROM fusion_cells")
    conn.execute(update(fusion_state).where(fusion_state.c.id == 1).values(watermark=0))
