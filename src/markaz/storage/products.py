"""Stored centre products: the report row that carries a published situation report, and what it covers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, and_, select

from markaz.storage import audit
from markaz.storage.canonical import iso, object_hash
from markaz.storage.dialects import StorageDialect
from markaz.storage.reports import PreparedReport
from markaz.storage.schema import report_access, reports
from markaz.storage.schema_views import centre_products


def product_snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "report_id": row["report_id"],
        "published_by": row["published_by"],
        "author": row["author"],
        "published_at": iso(row["published_at"]),
        "since": iso(row["since"]),
        "until": iso(row["until"]),
        "bbox": row["bbox"],
        "language": row["language"],
        "audience": sorted(row["audience"]),
        "content": row["content"],
    }


def insert_product(
    conn: Connection,
    dialect: StorageDialect,
    prepared: PreparedReport,
    product: Mapping[str, Any],
    *,
    actor: str,
) -> None:
    """Write the product's report row (with its access rows and search row) and its product row.

    Not through `insert_reports`: a product has no observations to extract or fuse, and it is
    disseminated as a `product` event to its named recipients, not as an ordinary report."""
    row = prepared.row
    dialect.bulk_insert(conn, reports, [row])
    dialect.bulk_insert(
        conn, report_access, [{"member_code": m, "report_id": row["id"]} for m in sorted(prepared.recipients)]
    )
    dialect.insert_search_rows(conn, [{"report_id": row["id"], "content": prepared.search_text}])
    conn.execute(centre_products.insert().values(**product))
    audit.append(
        conn,
        dialect,
        actor,
        [
            audit.AuditEvent("product.publish", "report", row["id"], prepared.digest),
            audit.AuditEvent.of("product.publish", "product", row["id"], product_snapshot(product)),
        ],
        at=row["created_at"],
    )


def _visible(viewer: str) -> Any:
    return (
        select(centre_products, reports.c.title, reports.c.precedence, reports.c.originator)
        .join(reports, reports.c.id == centre_products.c.report_id)
        .join(
            report_access,
            and_(report_access.c.report_id == reports.c.id, report_access.c.member_code == viewer),
        )
    )


def get_product(conn: Connection, viewer: str, report_id: str) -> dict[str, Any] | None:
    """A product released to `viewer`, or None (missing and not released answer alike)."""
    row = conn.execute(_visible(viewer).where(centre_products.c.report_id == report_id)).mappings().first()
    return dict(row) if row else None


def list_products(
    conn: Connection, viewer: str, *, limit: int, before_id: str | None = None
) -> list[dict[str, Any]]:
    query = _visible(viewer)
    if before_id:
        query = query.where(centre_products.c.report_id < before_id)
    query = query.order_by(centre_products.c.report_id.desc()).limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()]


def stored_product_hashes(conn: Connection) -> Iterator[tuple[str, str, str]]:
    """(object_type, id, hash) of every stored product, for `markaz audit verify`."""
    for row in conn.execute(select(centre_products)).mappings():
        yield "product", row["report_id"], object_hash(product_snapshot(dict(row)))
