"""What differs between SQLite and PostgreSQL: spatial index, full-text search, locking."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, Table, bindparam, func, literal_column, select, text
from sqlalchemy.sql import Select

from markaz.domain.query import BBox as BBox  # the storage layer's name for it, too
from markaz.storage.schema import audit_head, observations, reports


class StorageDialect:
    """The generic pieces; subclasses override only what differs."""

    name = "generic"

    def ddl(self) -> list[str]:
        """Statements the migrations run after the portable schema."""
        raise NotImplementedError

    def bbox_report_ids(self, bbox: BBox) -> Select[tuple[str]]:
        """Ids of reports with an observation whose bounding box meets `bbox`."""
        raise NotImplementedError

    def insert_search_rows(self, conn: Connection, rows: Sequence[dict[str, str]]) -> None:
        raise NotImplementedError

    def search_report_ids(self, normalised_query: str) -> Select[tuple[str]]:
        raise NotImplementedError

    def lock_audit_head(self, conn: Connection) -> tuple[int, str]:
        row = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).one()
        return int(row.seq), str(row.hash)

    def bulk_insert(self, conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert rows that all have the same keys, in one executemany."""
        if rows:
            conn.execute(table.insert(), list(rows))

    def insert_observations(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        """Insert observations and keep the spatial index in step (every write path calls this)."""
        self.bulk_insert(conn, observations, rows)

    def existing_client_refs(self, conn: Connection, originator: str, refs: Sequence[str]) -> dict[str, str]:
        """client_ref -> report id for those of `refs` that `originator` already used."""
        found: dict[str, str] = {}
        for start in range(0, len(refs), 500):
            for ref, rid in conn.execute(
                select(reports.c.client_ref, reports.c.id).where(
                    reports.c.originator == originator, reports.c.client_ref.in_(refs[start : start + 500])
                )
            ):
                found[ref] = rid
        return found


def fts_terms(normalised_query: str) -> list[str]:
    """The words of a query, each to be matched as a whole token (AND of all)."""
    return [w for w in normalised_query.split() if any(ch.isalnum() for ch in w)]


class SQLiteDialect(StorageDialect):
    name = "sqlite"

    def ddl(self) -> list[str]:
        return [
            # R*Tree over observation bounding boxes, kept in step by triggers so every
            # write path (including bulk ones) maintains it.
            "CREATE VIRTUAL TABLE observation_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat)",
            "CREATE TRIGGER observations_rtree_ai AFTER INSERT ON observations BEGIN "
            "INSERT INTO observation_rtree VALUES "
            "(new.id, new.min_lon, new.max_lon, new.min_lat, new.max_lat); END",
            "CREATE TRIGGER observations_rtree_ad AFTER DELETE ON observations BEGIN "
            "DELETE FROM observation_rtree WHERE id = old.id; END",
            # FTS5 over normalised title and body (normalised in Python so Arabic and Persian
            # letter variants and diacritics match).
            "CREATE VIRTUAL TABLE report_search USING fts5(report_id UNINDEXED, content, "
            "tokenize = 'unicode61 remove_diacritics 2')",
        ]

    def bulk_insert(self, conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        # Straight to the driver, column by column, with each column's bind processor looked
        # up once: SQLAlchemy's per-row parameter processing cost as much as SQLite's own work
        # on the ingest path.
        if not rows:
            return
        names = list(rows[0])
        values: list[list[Any]] = []
        for name in names:
            column = [r[name] for r in rows]
            process: Callable[[Any], Any] | None = table.c[name].type.bind_processor(conn.dialect)
            values.append(column if process is None else [process(v) for v in column])
        quoted = ", ".join(f'"{name}"' for name in names)
        sql = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({", ".join("?" for _ in names)})'
        conn.exec_driver_sql(sql, list(zip(*values, strict=True)))

    def insert_observations(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        # The R*Tree rows are written here rather than by a trigger: a trigger into the virtual
        # table cost twice as much per row. Ids are assigned up front, which is safe because
        # SQLite has one writer and this runs inside its write transaction.
        if not rows:
            return
        first = int(conn.execute(select(func.coalesce(func.max(observations.c.id), 0))).scalar_one()) + 1
        for offset, row in enumerate(rows):
            row["id"] = first + offset
        self.bulk_insert(conn, observations, rows)
        conn.exec_driver_sql(
            "INSERT INTO observation_rtree (id, min_lon, max_lon, min_lat, max_lat) VALUES (?, ?, ?, ?, ?)",
            [(r["id"], r["min_lon"], r["max_lon"], r["min_lat"], r["max_lat"]) for r in rows],
        )

    def existing_client_refs(self, conn: Connection, originator: str, refs: Sequence[str]) -> dict[str, str]:
        # One JSON array parameter instead of an expanding IN list, which SQLAlchemy renders
        # anew for every batch; the (originator, client_ref) index is still used.
        if not refs:
            return {}
        rows = conn.exec_driver_sql(
            "SELECT client_ref, id FROM reports WHERE originator = ? "
            "AND client_ref IN (SELECT value FROM json_each(?))",
            (originator, orjson.dumps(list(refs)).decode()),
        )
        return {ref: rid for ref, rid in rows}

    def bbox_report_ids(self, bbox: BBox) -> Select[tuple[str]]:
        min_lon, min_lat, max_lon, max_lat = bbox
        rtree_ids = text(
            "SELECT id FROM observation_rtree WHERE max_lon >= :bx0 AND min_lon <= :bx1 "
            "AND max_lat >= :by0 AND min_lat <= :by1"
        ).bindparams(bx0=min_lon, bx1=max_lon, by0=min_lat, by1=max_lat)
        return select(observations.c.report_id).where(
            observations.c.id.in_(rtree_ids.columns(literal_column("id")))
        )

    def insert_search_rows(self, conn: Connection, rows: Sequence[dict[str, str]]) -> None:
        if rows:
            conn.execute(
                text("INSERT INTO report_search (report_id, content) VALUES (:report_id, :content)"),
                list(rows),
            )

    def search_report_ids(self, normalised_query: str) -> Select[tuple[str]]:
        terms = fts_terms(normalised_query)
        # Each term quoted, so FTS5 operators in user input are plain text.
        match = " ".join('"' + t.replace('"', '""') + '"' for t in terms) or '""'
        return (
            select(literal_column("report_id"))
            .select_from(text("report_search"))
            .where(text("report_search MATCH :fts_query").bindparams(fts_query=match))
        )


class PostgresDialect(StorageDialect):
    name = "postgresql"

    def ddl(self) -> list[str]:
        return [
            "CREATE INDEX ix_observations_bbox ON observations USING gist "
            "(box(point(min_lon, min_lat), point(max_lon, max_lat)))",
            "CREATE TABLE report_search (report_id varchar(26) PRIMARY KEY REFERENCES reports(id), "
            "content tsvector NOT NULL)",
            "CREATE INDEX ix_report_search_content ON report_search USING gin (content)",
        ]

    def bbox_report_ids(self, bbox: BBox) -> Select[tuple[str]]:
        box_expr: ColumnElement[bool] = text(
            "box(point(observations.min_lon, observations.min_lat), "
            "point(observations.max_lon, observations.max_lat)) "
            "&& box(point(:bx0, :by0), point(:bx1, :by1))"
        ).bindparams(  # type: ignore[assignment]
            bindparam("bx0", bbox[0]),
            bindparam("by0", bbox[1]),
            bindparam("bx1", bbox[2]),
            bindparam("by1", bbox[3]),
        )
        return select(observations.c.report_id).where(box_expr)

    def insert_search_rows(self, conn: Connection, rows: Sequence[dict[str, str]]) -> None:
        if rows:
            conn.execute(
                text(
                    "INSERT INTO report_search (report_id, content) "
                    "VALUES (:report_id, to_tsvector('simple', :content))"
                ),
                list(rows),
            )

    def search_report_ids(self, normalised_query: str) -> Select[tuple[str]]:
        terms = " ".join(fts_terms(normalised_query)) or "\u0000"
        return (
            select(literal_column("report_id"))
            .select_from(text("report_search"))
            .where(text("content @@ plainto_tsquery('simple', :fts_query)").bindparams(fts_query=terms))
        )

    def lock_audit_head(self, conn: Connection) -> tuple[int, str]:
        row = conn.execute(
            select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1).with_for_update()
        ).one()
        return int(row.seq), str(row.hash)


def dialect_for(name: str) -> StorageDialect:
    if name == "sqlite":
        return SQLiteDialect()
    if name == "postgresql":
        return PostgresDialect()
    raise ValueError(f"unsupported database {name!r}: use sqlite:/// or postgresql://")
