"""Tables of dissemination: endpoints, subscriptions, the outbox, deliveries and their pushes."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Float, ForeignKey, Index, Integer, SmallInteger, String, Table, Text

from markaz.storage.schema import UtcDateTime, metadata

# A member's webhook receiver. The secret is kept as given: the centre must know it to sign.
endpoints = Table(
    "endpoints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_code", String(8), ForeignKey("members.code"), nullable=False),
    Column("url", String(500), nullable=False),
    Column("secret", String(200), nullable=False),
    Column("status", String(10), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(80), nullable=False),
    Index(None, "member_code"),
)

# What a member wants of PRIORITY and ROUTINE traffic; FLASH and IMMEDIATE ignore subscriptions.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_code", String(8), ForeignKey("members.code"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("min_lon", Float),
    Column("min_lat", Float),
    Column("max_lon", Float),
    Column("max_lat", Float),
    Column("polygon", JSON),
    Column("categories", JSON),
    Column("min_precedence", String(10)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(80), nullable=False),
    Index(None, "member_code"),
)

# Written in the transaction that accepts the items: one row per (batch, event, precedence),
# holding the ids in order. Workers fan a row out into deliveries a slice at a time.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event", String(12), nullable=False),
    Column("precedence_rank", SmallInteger, nullable=False),
    Column("refs", JSON, nullable=False),
    Column("recipients", JSON),
    Column("payload", JSON),
    Column("state", String(10), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "state", "precedence_rank", "id"),
)

# One per (recipient member, item, event): the stable delivery id receivers deduplicate on.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("member_code", String(8), ForeignKey("members.code"), nullable=False),
    Column("ref", String(64), nullable=False),
    Column("outbox_id", Integer, ForeignKey("outbox.id"), nullable=False),
    Column("event", String(12), nullable=False),
    Column("precedence", String(10), nullable=False),
    Column("precedence_rank", SmallInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime),
    Column("received_via", String(10)),
    Column("acknowledged_at", UtcDateTime),
    Column("acknowledged_by", String(80)),
    Column("escalations", SmallInteger, nullable=False),
    # When the next escalation is due (the objective, then each objective again); None when
    # acknowledged or escalated as often as the centre allows.
    Column("escalate_at", UtcDateTime),
    Column("resends", SmallInteger, nullable=False),
    Index(None, "member_code", "precedence_rank", "created_at"),
    Index(None, "member_code", "created_at"),
    Index(None, "ref"),
    Index(None, "escalate_at"),
)

# One attempt stream per (delivery, endpoint): claimed by precedence then age, retried with
# backoff, dead-lettered after the last attempt.
pushes = Table(
    "pushes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", String(26), ForeignKey("deliveries.id"), nullable=False),
    Column("endpoint_id", Integer, ForeignKey("endpoints.id"), nullable=False),
    Column("member_code", String(8), nullable=False),
    Column("precedence_rank", SmallInteger, nullable=False),
    Column("state", String(10), nullable=False),
    Column("attempts", SmallInteger, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("claimed_at", UtcDateTime),
    Column("done_at", UtcDateTime),
    Column("last_status", Integer),
    Column("last_error", Text),
    Index(None, "state", "precedence_rank", "id"),
    Index(None, "delivery_id"),
)
