"""Fusion's read side: a viewer's nodes and links (stored, and recomputed inside atoms), decisions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, and_, func, literal_column, select, text

from markaz.analysis.graph import Decision
from markaz.analysis.matching import Link, MatchRules, Node, pairs_within
from markaz.storage.canonical import iso, object_hash
from markaz.storage.dialects import BBox, StorageDialect
from markaz.storage.fusion_graph import NODE_COLUMNS, node_from
from markaz.storage.schema import observations, report_access, reports
from markaz.storage.schema_fusion import (
    fusion_decision_observations,
    fusion_decisions,
    fusion_edges,
    fusion_nodes,
)

CHUNK = 500


# --- reading, always for one viewer ------------------------------------------------------------


_Key = TypeVar("_Key", int, str)


def _chunks(ids: Iterable[_Key]) -> Iterable[list[_Key]]:
    items = sorted(set(ids))
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _access(viewer: str) -> Any:
    """The visibility join, as in storage.reports: a node counts only if released to `viewer`."""
    return and_(report_access.c.report_id == fusion_nodes.c.report_id, report_access.c.member_code == viewer)


def _released(conn: Connection, viewer: str, report_ids: Iterable[str], *, current: bool) -> set[str]:
    """Of `report_ids`, those released to the viewer (and, if `current`, neither retracted nor
    corrected), looked up by report_access's key (viewer, report)."""
    found: set[str] = set()
    for chunk in _chunks(report_ids):
        query = select(report_access.c.report_id).where(
            report_access.c.member_code == viewer, report_access.c.report_id.in_(chunk)
        )
        if current:
            query = query.join(reports, reports.c.id == report_access.c.report_id).where(
                reports.c.status == "active"
            )
        found.update(conn.execute(query).scalars())
    return found


# The reads below find rows by their ids first and check visibility by report afterwards, in
# two queries: in one join, SQLite (without statistics) preferred to walk every report
# released to the viewer and took seconds for a page of the map at a million observations.


def visible_nodes(conn: Connection, viewer: str, ids: Iterable[int]) -> dict[int, Node]:
    """The nodes among `ids` the viewer may see whose report is current (not retracted or corrected)."""
    candidates: list[Node] = []
    for chunk in _chunks(ids):
        query = select(*[fusion_nodes.c[c.strip()] for c in NODE_COLUMNS.split(",")]).where(
            fusion_nodes.c.obs_id.in_(chunk), fusion_nodes.c.family.is_not(None)
        )
        candidates += [node_from(row) for row in conn.execute(query)]
    released = _released(conn, viewer, (n.report_id for n in candidates), current=True)
    return {n.id: n for n in candidates if n.report_id in released}


def corrected_observations(conn: Connection, viewer: str, ids: Iterable[int]) -> dict[int, list[int]]:
    """For observations among `ids` whose report corrects an earlier one the viewer may see: the
    earlier report's observation ids."""
    corrects: dict[int, str] = {}
    for chunk in _chunks(ids):
        query = (
            select(fusion_nodes.c.obs_id, reports.c.supersedes)
            .join(reports, reports.c.id == fusion_nodes.c.report_id)
            .where(fusion_nodes.c.obs_id.in_(chunk), reports.c.supersedes.is_not(None))
        )
        corrects.update((int(i), str(r)) for i, r in conn.execute(query))
    if not corrects:
        return {}
    released = _released(conn, viewer, corrects.values(), current=False)
    earlier_ids: dict[str, list[int]] = {}
    for rids in _chunks(released):
        for obs_id, rid in conn.execute(
            select(observations.c.id, observations.c.report_id)
            .where(observations.c.report_id.in_(rids))
            .order_by(observations.c.id)
        ):
            earlier_ids.setdefault(rid, []).append(int(obs_id))
    return {i: earlier_ids[r] for i, r in sorted(corrects.items()) if r in earlier_ids}


def visible_ids_any_status(conn: Connection, viewer: str, ids: Iterable[int]) -> set[int]:
    """Observations among `ids` released to the viewer, current or not."""
    pairs: list[tuple[int, str]] = []
    for chunk in _chunks(ids):
        pairs += [
            (int(i), r)
            for i, r in conn.execute(
                select(observations.c.id, observations.c.report_id).where(observations.c.id.in_(chunk))
            )
        ]
    released = _released(conn, viewer, (r for _, r in pairs), current=False)
    return {i for i, r in pairs if r in released}


class Links:
    """The links of the match graph touching given observations: those stored, and the links
    inside their atoms, recomputed from the nodes (the engine does not store those; see
    storage.fusion_graph). Atoms read once are kept for the life of the object (one request).

    Visibility is the caller's: links are returned whoever may see their ends, as stored links are.
    """

    def __init__(self, conn: Connection, rules: MatchRules) -> None:
        self.conn = conn
        self.rules = rules
        self._atom_of: dict[int, int] = {}
        self._inside: dict[int, list[Link]] = {}  # observation -> links inside its atom

    def touching(self, ids: Iterable[int]) -> list[Link]:
        ids = set(ids)
        found: dict[tuple[int, int], Link] = {}
        cols = [fusion_edges.c[c] for c in ("a", "b", "matched", "conflict", "distance_m", "seconds")]
        for chunk in _chunks(ids):
            for column in (fusion_edges.c.a, fusion_edges.c.b):
                for r in self.conn.execute(select(*cols).where(column.in_(chunk))):
                    found[(int(r[0]), int(r[1]))] = Link(
                        int(r[0]), int(r[1]), bool(r[2]), r[3], float(r[4]), float(r[5])
                    )
        self._load_atoms(ids)
        for i in ids:
            for lk in self._inside.get(i, ()):
                found[(lk.a, lk.b)] = lk
        return [found[k] for k in sorted(found)]

    def _load_atoms(self, ids: set[int]) -> None:
        unknown = ids - self._atom_of.keys()
        for chunk in _chunks(unknown):
            for obs_id, atom in self.conn.execute(
                select(fusion_nodes.c.obs_id, fusion_nodes.c.atom).where(fusion_nodes.c.obs_id.in_(chunk))
            ):
                self._atom_of[int(obs_id)] = int(atom)
        wanted = {self._atom_of[i] for i in unknown if i in self._atom_of}
        members: dict[int, list[Node]] = {}
        columns = [fusion_nodes.c[c.strip()] for c in NODE_COLUMNS.split(",")]
        for chunk in _chunks(wanted):
            for row in self.conn.execute(
                select(*columns, fusion_nodes.c.atom).where(fusion_nodes.c.atom.in_(chunk))
            ):
                node = node_from(row)
                self._atom_of[node.id] = int(row[14])
                members.setdefault(int(row[14]), []).append(node)
        for group in members.values():
            for n in group:
                self._inside.setdefault(n.id, [])
            # Matches and contradictions alike: the engine stores neither inside an atom.
            for lk in pairs_within(group, self.rules):
                self._inside[lk.a].append(lk)
                self._inside[lk.b].append(lk)


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
    if bbox is None and dialect.name == "sqlite":
        # The nodes in id order drive (CROSS JOIN), so a page stops at its limit; left to
        # itself SQLite walked every report released to the viewer first.
        names = {f"fam{i}": f for i, f in enumerate(families)}
        sql = text(
            "SELECT n.obs_id FROM fusion_nodes n CROSS JOIN report_access ra CROSS JOIN reports rep "
            f"WHERE n.obs_id > :after AND n.family IN ({', '.join(':' + k for k in names)}) "
            "AND ra.member_code = :viewer AND ra.report_id = n.report_id "
            "AND rep.id = n.report_id AND rep.status = 'active' "
            "ORDER BY n.obs_id LIMIT :limit"
        ).bindparams(after=after, viewer=viewer, limit=limit, **names)
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
