"""Stored comments and opinions on items, and the members notified of each."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, and_, func, select
from sqlalchemy.sql import Select

from markaz.storage import audit
from markaz.storage.canonical import iso, object_hash
from markaz.storage.dialects import StorageDialect
from markaz.storage.schema import report_access
from markaz.storage.schema_views import comment_notifications, comments


def comment_snapshot(row: Mapping[str, Any], notified: Iterable[str]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "target_type": row["target_type"],
        "target_id": row["target_id"],
        "parent_id": row["parent_id"],
        "member": row["member_code"],
        "author_id": row["author_id"],
        "author": row["author"],
        "created_at": iso(row["created_at"]),
        "opinion": row["opinion"],
        "body": row["body"],
        "notified": sorted(notified),
    }


def insert_comment(
    conn: Connection, dialect: StorageDialect, row: Mapping[str, Any], notified: Iterable[str], *, actor: str
) -> None:
    """Write one comment and its notifications, audited together, in the caller's transaction."""
    told = sorted(set(notified))
    conn.execute(comments.insert().values(**row))
    if told:
        conn.execute(
            comment_notifications.insert(),
            [{"comment_id": row["id"], "member_code": m, "created_at": row["created_at"]} for m in told],
        )
    audit.append(
        conn,
        dialect,
        actor,
        [audit.AuditEvent.of("comment.add", "comment", row["id"], comment_snapshot(row, told))],
        at=row["created_at"],
    )


def get_comment(conn: Connection, comment_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(comments).where(comments.c.id == comment_id)).mappings().first()
    return dict(row) if row else None


def _on(target_type: str, target_ids: Sequence[str]) -> Any:
    return and_(comments.c.target_type == target_type, comments.c.target_id.in_(list(target_ids)))


def list_comments(
    conn: Connection, target_type: str, target_ids: Sequence[str], *, limit: int, after_id: str | None = None
) -> list[dict[str, Any]]:
    """Comments on an item (under any of the ids the viewer knows it by, which the caller has
    checked the viewer may see), oldest first."""
    query = select(comments).where(_on(target_type, target_ids))
    if after_id:
        query = query.where(comments.c.id > after_id)
    return [dict(r) for r in conn.execute(query.order_by(comments.c.id).limit(limit)).mappings()]


def tally(conn: Connection, target_type: str, target_ids: Sequence[str]) -> tuple[int, dict[str, int]]:
    """(number of comments, opinions counted by value) on one item."""
    counts: dict[str, int] = {}
    total = 0
    for opinion, n in conn.execute(
        select(comments.c.opinion, func.count())
        .where(_on(target_type, target_ids))
        .group_by(comments.c.opinion)
    ):
        total += n
        if opinion is not None:
            counts[opinion] = n
    return total, counts


def comment_counts(conn: Connection, target_type: str, target_ids: Sequence[str]) -> dict[str, int]:
    """Number of comments per item, for items the caller has already checked are visible."""
    found: dict[str, int] = {}
    for start in range(0, len(target_ids), 500):
        chunk = list(target_ids[start : start + 500])
        for tid, n in conn.execute(
            select(comments.c.target_id, func.count())
            .where(comments.c.target_type == target_type, comments.c.target_id.in_(chunk))
            .group_by(comments.c.target_id)
        ):
            found[tid] = n
    return found


def _notified(
    conn: Connection, member: str, query: Select[Any], *, limit: int, after_id: str | None
) -> list[dict[str, Any]]:
    """`query` over comments, narrowed to those the member was told about, oldest first."""
    query = query.join(
        comment_notifications,
        and_(
            comment_notifications.c.comment_id == comments.c.id, comment_notifications.c.member_code == member
        ),
    )
    if after_id:
        query = query.where(comments.c.id > after_id)
    return [dict(r) for r in conn.execute(query.order_by(comments.c.id).limit(limit)).mappings()]


def notified_report_comments(
    conn: Connection, member: str, *, limit: int, after_id: str | None = None
) -> list[dict[str, Any]]:
    """Comments on reports the member was told about, only where it may still see the report."""
    query = (
        select(comments)
        .join(
            report_access,
            and_(report_access.c.report_id == comments.c.target_id, report_access.c.member_code == member),
        )
        .where(comments.c.target_type == "report")
    )
    return _notified(conn, member, query, limit=limit, after_id=after_id)


def notified_comments(
    conn: Connection, member: str, target_type: str, *, limit: int, after_id: str | None = None
) -> list[dict[str, Any]]:
    """Comments on fused items the member was told about; the caller checks the item's visibility."""
    query = select(comments).where(comments.c.target_type == target_type)
    return _notified(conn, member, query, limit=limit, after_id=after_id)


def stored_comment_hashes(conn: Connection) -> Iterator[tuple[str, str, str]]:
    """(object_type, id, hash) of every stored comment, for `markaz audit verify`."""
    notified: dict[str, list[str]] = {}
    for cid, code in conn.execute(
        select(comment_notifications.c.comment_id, comment_notifications.c.member_code)
    ):
        notified.setdefault(cid, []).append(code)
    for row in conn.execute(select(comments)).mappings():
        yield "comment", row["id"], object_hash(comment_snapshot(dict(row), notified.get(row["id"], [])))
