"""Tables of the exchange of views (comments, opinions) and of published centre products."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Table, Text

from markaz.storage.schema import UtcDateTime, metadata

# A comment on one item: a report, a fused site or a fused track. Who may read it is never
# stored here: it follows the item's visibility, checked in the storage query on every read.
comments = Table(
    "comments",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("target_type", String(8), nullable=False),
    Column("target_id", String(64), nullable=False),
    Column("parent_id", String(26), ForeignKey("comments.id")),
    Column("member_code", String(8), ForeignKey("members.code"), nullable=False),
    Column("author_id", Integer, ForeignKey("principals.id"), nullable=False),
    Column("author", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("opinion", String(20)),
    Column("body", Text, nullable=False),
    Index(None, "target_type", "target_id"),
)

# Members told about a comment (the item's originator, the author of the comment replied to),
# written in the comment's transaction and part of its audited snapshot.
comment_notifications = Table(
    "comment_notifications",
    metadata,
    Column("comment_id", String(26), ForeignKey("comments.id"), nullable=False),
    Column("member_code", String(8), ForeignKey("members.code"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("comment_id", "member_code"),
    Index(None, "member_code", "comment_id"),
)

# A published centre situation report. The product itself is an ordinary report row (so every
# read path, releasability and dissemination treat it like one); this row says what it covers
# and for whom it was computed.
centre_products = Table(
    "centre_products",
    metadata,
    Column("report_id", String(26), ForeignKey("reports.id"), primary_key=True),
    Column("published_by", String(8), ForeignKey("members.code"), nullable=False),
    Column("author", String(64), nullable=False),
    Column("published_at", UtcDateTime, nullable=False),
    Column("since", UtcDateTime, nullable=False),
    Column("until", UtcDateTime, nullable=False),
    Column("bbox", JSON),
    Column("language", String(2), nullable=False),
    Column("audience", JSON, nullable=False),
    Column("content", JSON, nullable=False),
)
