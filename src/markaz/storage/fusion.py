"""Fusion's storage: taking observations in, the match graph, decisions, and the viewer's joins."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, and_, delete, func, insert, literal_column, select, text, update

from markaz.analysis.graph import Decision
from markaz.analysis.matching import Link, Node
from markaz.storage.canonical import iso, object_hash
from markaz.storage.dialects import BBox, StorageDialect
from markaz.storage.schema import observations, report_access, reports
from markaz.storage.schema_fusion import (
    fusion_decision_observations,
    fusion_decisions,
    fusion_edges,
    fusion_gaps,
    fusion_nodes,
    fusion_state,
)

# A missing observation id below the highest one taken in may belong to a PostgreSQL
# transaction still in flight; after this long it is taken to have been rolled back.
GAP_GRACE = timedelta(minutes=10)
CHUNK = 500
_NODE_COLUMNS = (
    "obs_id, report_id, family, category, lon, lat, t, originator, status, credibility, "
    "reliability, subject, subject_key, points"
)


def node_row(n: Node) -> dict[str, Any]:
    return {
        "obs_id": n.id,
        "report_id": n.report_id,
        "family": n.family or None,
        "category": n.category,
        "lon": n.lon,
        "lat": n.lat,
        "t": n.t,
        "originator": n.originator,
        "status": n.status,
        "credibility": n.credibility,
        "reliability": n.reliability,
        "subject": n.subject,
        "subject_key": n.subject_key,
        "points": [list(p) for p in n.points] if n.points else None,
    }


def node_from(row: Sequence[Any]) -> Node:
    """A Node from a row in _NODE_COLUMNS order (a DBAPI tuple or a SQLAlchemy row)."""
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


# --- taking observations in ----------------------------------------------------------------


def lock_state(conn: Connection, dialect: StorageDialect) -> int:
    """The highest observation id taken in, locked so one fusion run works at a time."""
    query = select(fusion_state.c.watermark).where(fusion_state.c.id == 1)
    if dialect.name == "postgresql":
        query = query.with_for_update()
    return int(conn.execute(query).scalar_one())


def _observation_query() -> Any:
    return select(
        observations.c.id,
        observations.c.report_id,
        observations.c.category,
        observations.c.geometry,
        observations.c.observed_at,
        observations.c.subject,
        observations.c.note,
        reports.c.originator,
        reports.c.observed_at.label("report_observed_at"),
        reports.c.created_at,
        reports.c.source_reliability,
        reports.c.information_credibility,
    ).join(reports, reports.c.id == observations.c.report_id)


def pending(conn: Connection, watermark: int, limit: int) -> list[dict[str, Any]]:
    """Observations not yet taken in: gaps that have since been committed, then new ids."""
    filled = [
        dict(r)
        for r in conn.execute(
            _observation_query().join(fusion_gaps, fusion_gaps.c.obs_id == observations.c.id)
        ).mappings()
    ]
    fresh = conn.execute(
        _observation_query().where(observations.c.id > watermark).order_by(observations.c.id).limit(limit)
    ).mappings()
    return filled + [dict(r) for r in fresh]


def has_pending(conn: Connection) -> bool:
    watermark = conn.execute(select(fusion_state.c.watermark).where(fusion_state.c.id == 1)).scalar_one()
    newer = select(observations.c.id).where(observations.c.id > watermark).limit(1)
    return (
        conn.execute(newer).first() is not None
        or conn.execute(select(fusion_gaps.c.obs_id).limit(1)).first() is not None
    )


def insert_nodes(conn: Connection, nodes: Sequence[Node]) -> None:
    if nodes:
        conn.execute(insert(fusion_nodes), [node_row(n) for n in nodes])


def insert_links(conn: Connection, links: Sequence[Link]) -> None:
    if links:
        conn.execute(
            insert(fusion_edges),
            [
                {
                    "a": lk.a,
                    "b": lk.b,
                    "matched": lk.matched,
                    "conflict": lk.conflict,
                    "distance_m": lk.distance_m,
                    "seconds": lk.seconds,
                }
                for lk in links
            ],
        )


def advance(conn: Connection, watermark: int, taken: Iterable[int], now: datetime) -> int:
    """Move the watermark over what was taken in; remember ids skipped below it as gaps."""
    taken = sorted(set(taken))
    if taken:
        conn.execute(delete(fusion_gaps).where(fusion_gaps.c.obs_id.in_(taken[:CHUNK])))
        for start in range(CHUNK, len(taken), CHUNK):
            conn.execute(delete(fusion_gaps).where(fusion_gaps.c.obs_id.in_(taken[start : start + CHUNK])))
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
    """Already-fused observations that may match new ones, found in bulk through the indexes.

    One query per batch joins the batch's search boxes to the spatial index (R*Tree on SQLite,
    GiST on PostgreSQL), so the per-observation loop runs inside the database; it works on the
    DBAPI cursor of the caller's transaction.
    """

    def __init__(self, conn: Connection, dialect: StorageDialect) -> None:
        raw = conn.connection.driver_connection
        assert raw is not None
        self._cur = raw.cursor()
        self._pg = dialect.name == "postgresql"
        self._cols = ", ".join(f"n.{c.strip()}" for c in _NODE_COLUMNS.split(","))

    def sites(
        self, probes: Sequence[tuple[int, float, float, float, float, str, float, float]]
    ) -> list[tuple[Any, ...]]:
        """(probe id, obs_id, category, lon, lat, t, status) for each node inside a probe's box
        (probe: id, min_lon, min_lat, max_lon, max_lat, family, earliest t, latest t)."""
        if not probes:
            return []
        if self._pg:
            columns = list(zip(*probes, strict=True))
            self._cur.execute(
                # Written so that the only index the per-probe subquery can use is the GiST box:
                # on fresh, unanalysed tables the planner would otherwise walk all of the
                # family's nodes in the time window through the (family, subject, t) index.
                "SELECT q.pid, c.obs_id, c.category, c.lon, c.lat, c.t, c.status FROM "
                "unnest(%s::bigint[], %s::float8[], %s::float8[], %s::float8[], %s::float8[], %s::text[], "
                "%s::float8[], %s::float8[]) AS q(pid, x0, y0, x1, y1, family, tlo, thi) "
                "CROSS JOIN LATERAL (SELECT n.obs_id, n.category, n.lon, n.lat, n.t, n.status "
                "FROM observations o JOIN fusion_nodes n ON n.obs_id = o.id "
                "WHERE box(point(o.min_lon, o.min_lat), point(o.max_lon, o.max_lat)) "
                "&& box(point(q.x0, q.y0), point(q.x1, q.y1)) "
                "AND (n.family || '') = q.family AND (n.t + 0) BETWEEN q.tlo AND q.thi OFFSET 0) AS c",
                [list(c) for c in columns],
            )
            return list(self._cur.fetchall())
        self._cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS fusion_probe "
            "(pid INTEGER, x0 REAL, y0 REAL, x1 REAL, y1 REAL, family TEXT, tlo REAL, thi REAL)"
        )
        self._cur.execute("DELETE FROM fusion_probe")
        self._cur.executemany("INSERT INTO fusion_probe VALUES (?, ?, ?, ?, ?, ?, ?, ?)", probes)
        # CROSS JOIN fixes the order: each probe asks the R*Tree, then the node by its key.
        self._cur.execute(
            "SELECT q.pid, n.obs_id, n.category, n.lon, n.lat, n.t, n.status FROM fusion_probe q "
            "CROSS JOIN observation_rtree r CROSS JOIN fusion_nodes n "
            "WHERE r.max_lon >= q.x0 AND r.min_lon <= q.x1 AND r.max_lat >= q.y0 AND r.min_lat <= q.y1 "
            "AND n.obs_id = r.id AND n.family = q.family AND n.t BETWEEN q.tlo AND q.thi"
        )
        return list(self._cur.fetchall())

    def same_subject(self, probes: Sequence[tuple[int, str, str, float, float]]) -> list[tuple[int, Node]]:
        """(probe id, node) for each node of the probe's family and subject key in its time window
        (probe: id, family, subject key, earliest t, latest t), through the (family, key, t) index."""
        if not probes:
            return []
        if self._pg:
            columns = [list(c) for c in zip(*probes, strict=True)]
            self._cur.execute(
                f"SELECT q.pid, {self._cols} FROM unnest(%s::bigint[], %s::text[], %s::text[], "
                "%s::float8[], %s::float8[]) AS q(pid, family, skey, tlo, thi) CROSS JOIN LATERAL "
                "(SELECT * FROM fusion_nodes m WHERE m.family = q.family AND m.subject_key = q.skey "
                "AND m.t BETWEEN q.tlo AND q.thi OFFSET 0) AS n",
                columns,
            )
        else:
            self._cur.execute(
                "CREATE TEMP TABLE IF NOT EXISTS fusion_subject_probe "
                "(pid INTEGER, family TEXT, skey TEXT, tlo REAL, thi REAL)"
            )
            self._cur.execute("DELETE FROM fusion_subject_probe")
            self._cur.executemany("INSERT INTO fusion_subject_probe VALUES (?, ?, ?, ?, ?)", probes)
            self._cur.execute(
                f"SELECT q.pid, {self._cols} FROM fusion_subject_probe q CROSS JOIN fusion_nodes n "
                "WHERE n.family = q.family AND n.subject_key = q.skey AND n.t BETWEEN q.tlo AND q.thi"
            )
        return [(int(r[0]), node_from(r[1:])) for r in self._cur.fetchall()]

    def insert_nodes(self, nodes: Sequence[Node]) -> None:
        """The batch's nodes, with one executemany of plain tuples."""
        if not nodes:
            return
        mark = "%s" if self._pg else "?"
        self._cur.executemany(
            f"INSERT INTO fusion_nodes ({_NODE_COLUMNS}) VALUES ({', '.join([mark] * 14)})",
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
                )
                for n in nodes
            ],
        )

    def insert_links(self, links: Sequence[Link]) -> None:
        if not links:
            return
        mark = "%s" if self._pg else "?"
        self._cur.executemany(
            f"INSERT INTO fusion_edges (a, b, matched, conflict, distance_m, seconds) "
            f"VALUES ({', '.join([mark] * 6)})",
            [(lk.a, lk.b, lk.matched, lk.conflict, lk.distance_m, lk.seconds) for lk in links],
        )

    def close(self) -> None:
        self._cur.close()


def clear(conn: Connection) -> None:
    """Forget the match graph (decisions stay): the next runs take every observation in again."""
    conn.execute(delete(fusion_edges))
    conn.execute(delete(fusion_gaps))
    conn.execute(delete(fusion_nodes))
    conn.execute(update(fusion_state).where(fusion_state.c.id == 1).values(watermark=0))


# --- reading, always for one viewer ------------------------------------------------------------


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    items = sorted(set(ids))
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _access(viewer: str) -> Any:
    """The visibility join, as in storage.reports: a node counts only if released to `viewer`."""
    return and_(report_access.c.report_id == fusion_nodes.c.report_id, report_access.c.member_code == viewer)


def visible_nodes(conn: Connection, viewer: str, ids: Iterable[int]) -> dict[int, Node]:
    """The nodes among `ids` the viewer may see whose report is current (not retracted or corrected)."""
    found: dict[int, Node] = {}
    for chunk in _chunks(ids):
        query = (
            select(*[fusion_nodes.c[c.strip()] for c in _NODE_COLUMNS.split(",")])
            .join(report_access, _access(viewer))
            .join(reports, reports.c.id == fusion_nodes.c.report_id)
            .where(fusion_nodes.c.obs_id.in_(chunk), reports.c.status == "active")
            .where(fusion_nodes.c.family.is_not(None))
        )
        for row in conn.execute(query):
            found[int(row[0])] = node_from(row)
    return found


def corrected_observations(conn: Connection, viewer: str, ids: Iterable[int]) -> dict[int, list[int]]:
    """For observations among `ids` whose report corrects an earlier one the viewer may see: the
    earlier report's observation ids."""
    earlier = observations.alias("earlier")
    found: dict[int, list[int]] = {}
    for chunk in _chunks(ids):
        query = (
            select(fusion_nodes.c.obs_id, earlier.c.id)
            .join(reports, reports.c.id == fusion_nodes.c.report_id)
            .join(earlier, earlier.c.report_id == reports.c.supersedes)
            .join(
                report_access,
                and_(
                    report_access.c.report_id == reports.c.supersedes, report_access.c.member_code == viewer
                ),
            )
            .where(fusion_nodes.c.obs_id.in_(chunk))
            .order_by(earlier.c.id)
        )
        for obs_id, earlier_id in conn.execute(query):
            found.setdefault(int(obs_id), []).append(int(earlier_id))
    return found


def visible_ids_any_status(conn: Connection, viewer: str, ids: Iterable[int]) -> set[int]:
    """Observations among `ids` released to the viewer, current or not."""
    found: set[int] = set()
    for chunk in _chunks(ids):
        query = (
            select(observations.c.id)
            .join(
                report_access,
                and_(
                    report_access.c.report_id == observations.c.report_id,
                    report_access.c.member_code == viewer,
                ),
            )
            .where(observations.c.id.in_(chunk))
        )
        found.update(int(i) for i in conn.execute(query).scalars())
    return found


def links_touching(conn: Connection, ids: Iterable[int]) -> list[Link]:
    out: list[Link] = []
    cols = [fusion_edges.c[c] for c in ("a", "b", "matched", "conflict", "distance_m", "seconds")]
    for chunk in _chunks(ids):
        for column in (fusion_edges.c.a, fusion_edges.c.b):
            for r in conn.execute(select(*cols).where(column.in_(chunk))):
                out.append(Link(int(r[0]), int(r[1]), bool(r[2]), r[3], float(r[4]), float(r[5])))
    return out


def decisions_touching(conn: Connection, ids: Iterable[int]) -> list[Decision]:
    decision_ids: set[int] = set()
    for chunk in _chunks(ids):
        decision_ids.update(
            conn.execute(
                select(fusion_decision_observations.c.decision_id).where(
                    fusion_decision_observations.c.obs_id.in_(chunk)
                )
            ).scalars()
        )
    return load_decisions(conn, decision_ids)


def load_decisions(conn: Connection, decision_ids: Iterable[int]) -> list[Decision]:
    groups: dict[int, dict[int, list[int]]] = {}
    kinds: dict[int, str] = {}
    for chunk in _chunks(decision_ids):
        for did, kind in conn.execute(
            select(fusion_decisions.c.id, fusion_decisions.c.kind).where(fusion_decisions.c.id.in_(chunk))
        ):
            kinds[did] = kind
        for did, obs, grp in conn.execute(
            select(
                fusion_decision_observations.c.decision_id,
                fusion_decision_observations.c.obs_id,
                fusion_decision_observations.c.grp,
            )
            .where(fusion_decision_observations.c.decision_id.in_(chunk))
            .order_by(fusion_decision_observations.c.obs_id)
        ):
            groups.setdefault(did, {}).setdefault(grp, []).append(obs)
    return [
        Decision(did, kinds[did], tuple(tuple(g[k]) for k in sorted(g)))
        for did, g in sorted(groups.items())
        if did in kinds
    ]


def seed_page(
    conn: Connection,
    dialect: StorageDialect,
    viewer: str,
    families: Sequence[str],
    *,
    after: int,
    limit: int,
    bbox: BBox | None,
) -> list[int]:
    """Ids of visible current nodes of `families` above `after`, ascending; inside `bbox` if given."""
    if bbox is not None and dialect.name == "sqlite":
        # The R*Tree drives (CROSS JOIN keeps that order): a map's box is answered from the
        # index, not by walking every node in id order and asking the index about each.
        names = {f"fam{i}": f for i, f in enumerate(families)}
        sql = text(
            "SELECT n.obs_id FROM observation_rtree r CROSS JOIN fusion_nodes n "
            "CROSS JOIN report_access ra CROSS JOIN reports rep "
            "WHERE r.max_lon >= :x0 AND r.min_lon <= :x1 AND r.max_lat >= :y0 AND r.min_lat <= :y1 "
            "AND n.obs_id = r.id AND n.obs_id > :after "
            f"AND n.family IN ({', '.join(':' + k for k in names)}) "
            "AND n.lon BETWEEN :x0 AND :x1 AND n.lat BETWEEN :y0 AND :y1 "
            "AND ra.member_code = :viewer AND ra.report_id = n.report_id "
            "AND rep.id = n.report_id AND rep.status = 'active' "
            "ORDER BY n.obs_id LIMIT :limit"
        ).bindparams(
            x0=bbox[0], y0=bbox[1], x1=bbox[2], y1=bbox[3], after=after, viewer=viewer, limit=limit, **names
        )
        return [int(i) for i in conn.execute(sql).scalars()]
    query = (
        select(fusion_nodes.c.obs_id)
        .join(report_access, _access(viewer))
        .join(reports, reports.c.id == fusion_nodes.c.report_id)
        .where(
            fusion_nodes.c.family.in_(list(families)),
            fusion_nodes.c.obs_id > after,
            reports.c.status == "active",
        )
    )
    if bbox is not None:
        query = query.where(
            fusion_nodes.c.obs_id.in_(_in_box(dialect, bbox)),
            fusion_nodes.c.lon.between(bbox[0], bbox[2]),
            fusion_nodes.c.lat.between(bbox[1], bbox[3]),
        )
    query = query.order_by(fusion_nodes.c.obs_id).limit(limit)
    return [int(i) for i in conn.execute(query).scalars()]


def _in_box(dialect: StorageDialect, bbox: BBox) -> Any:
    """Ids of observations whose bounding box meets `bbox`, through the spatial index."""
    x0, y0, x1, y1 = bbox
    if dialect.name == "sqlite":
        return (
            text(
                "SELECT id FROM observation_rtree WHERE max_lon >= :fx0 AND min_lon <= :fx1 "
                "AND max_lat >= :fy0 AND min_lat <= :fy1"
            )
            .bindparams(fx0=x0, fx1=x1, fy0=y0, fy1=y1)
            .columns(literal_column("id"))
        )
    box: Any = text(
        "box(point(observations.min_lon, observations.min_lat), "
        "point(observations.max_lon, observations.max_lat)) && box(point(:fx0, :fy0), point(:fx1, :fy1))"
    ).bindparams(fx0=x0, fy0=y0, fx1=x1, fy1=y1)
    return select(observations.c.id).where(box)


def observation_details(conn: Connection, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Geometry and note of observations the caller has already checked are visible."""
    out: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        for r in conn.execute(
            select(
                observations.c.id, observations.c.geometry, observations.c.note, observations.c.observed_at
            ).where(observations.c.id.in_(chunk))
        ).mappings():
            out[int(r["id"])] = dict(r)
    return out


def node_count(conn: Connection) -> tuple[int, int]:
    nodes = conn.execute(select(func.count()).select_from(fusion_nodes)).scalar_one()
    edges = conn.execute(select(func.count()).select_from(fusion_edges)).scalar_one()
    return int(nodes), int(edges)


def now_utc() -> datetime:
    return datetime.now(UTC)


# --- decisions as audited objects -----------------------------------------------------------


def load_decision_row(conn: Connection, decision_id: int) -> dict[str, Any]:
    row = dict(
        conn.execute(select(fusion_decisions).where(fusion_decisions.c.id == decision_id)).mappings().one()
    )
    groups: dict[int, list[int]] = {}
    for obs, grp in conn.execute(
        select(fusion_decision_observations.c.obs_id, fusion_decision_observations.c.grp)
        .where(fusion_decision_observations.c.decision_id == decision_id)
        .order_by(fusion_decision_observations.c.obs_id)
    ):
        groups.setdefault(int(grp), []).append(int(obs))
    row["groups"] = [groups[g] for g in sorted(groups)]
    return row


def decision_snapshot(row: dict[str, Any]) -> dict[str, Any]:
    """The audited form of a split or merge decision."""
    return {
        "id": row["id"],
        "kind": row["kind"],
        "family": row["family"],
        "member": row["member"],
        "decided_by": row["decided_by"],
        "decided_at": iso(row["decided_at"]),
        "reason": row["reason"],
        "groups": row["groups"],
    }


def decision_hashes(conn: Connection) -> Iterable[tuple[str, str, str]]:
    """(object_type, object_id, hash) of every stored decision, for `markaz audit verify`."""
    for decision_id in conn.execute(select(fusion_decisions.c.id).order_by(fusion_decisions.c.id)).scalars():
        snap = decision_snapshot(load_decision_row(conn, int(decision_id)))
        yield "fusion_decision", str(decision_id), object_hash(snap)
