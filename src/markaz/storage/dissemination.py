"""Dissemination objects (endpoints, subscriptions, deliveries): a member's own by id; audit snapshots."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, RowMapping, Table, or_, select

from markaz.storage.canonical import iso, object_hash
from markaz.storage.schema_dissemination import deliveries, endpoints, subscriptions


def member_row(conn: Connection, table: Table, row_id: Any, member: str) -> RowMapping | None:
    """The row of `table` with this id if it is the member's own; another member's is as absent."""
    query = select(table).where(table.c.id == row_id, table.c.member_code == member)
    return conn.execute(query).mappings().first()


def endpoint_snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    # The secret itself never enters the audit log (it is readable by every member); its hash does.
    return {
        "id": row["id"],
        "member_code": row["member_code"],
        "url": row["url"],
        "secret_sha256": hashlib.sha256(row["secret"].encode()).hexdigest(),
        "status": row["status"],
        "created_at": iso(row["created_at"]),
        "created_by": row["created_by"],
    }


def subscription_snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "member_code": row["member_code"],
        "name": row["name"],
        "bbox": [row["min_lon"], row["min_lat"], row["max_lon"], row["max_lat"]]
        if row["min_lon"] is not None
        else None,
        "polygon": row["polygon"],
        "categories": row["categories"],
        "min_precedence": row["min_precedence"],
        "created_at": iso(row["created_at"]),
        "created_by": row["created_by"],
    }


def delivery_snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    """What people and escalation changed on a delivery: acknowledgement, re-sends, escalations.

    Receipt and push attempts are the channel's bookkeeping, not audited writes.
    """
    return {
        "id": row["id"],
        "member_code": row["member_code"],
        "ref": row["ref"],
        "event": row["event"],
        "acknowledged_at": iso(row["acknowledged_at"]),
        "acknowledged_by": row["acknowledged_by"],
        "escalations": row["escalations"],
        "resends": row["resends"],
    }


def stored_objects(conn: Connection) -> Iterator[tuple[str, str, str]]:
    """(object_type, id, hash) of every audited dissemination object, for `audit.verify`."""
    for row in conn.execute(select(endpoints)).mappings():
        yield "endpoint", str(row["id"]), object_hash(endpoint_snapshot(dict(row)))
    for row in conn.execute(select(subscriptions)).mappings():
        yield "subscription", str(row["id"]), object_hash(subscription_snapshot(dict(row)))
    # Only deliveries someone acted on were audited; untouched ones are bookkeeping.
    touched = select(deliveries).where(
        or_(deliveries.c.acknowledged_at.is_not(None), deliveries.c.resends > 0, deliveries.c.escalations > 0)
    )
    for row in conn.execute(touched).mappings():
        yield "delivery", row["id"], object_hash(delivery_snapshot(dict(row)))
