"""Tables of interoperability: the status resources of TAXII 2.1 POSTs."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table

from markaz.storage.schema import UtcDateTime, metadata

# One row per TAXII POST (an "add objects" request): what the member sent and what became of
# each object. Kept at least 24 hours (MARKAZ_TAXII_STATUS_HOURS), then purged on a later POST.
taxii_status = Table(
    "taxii_status",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("member_code", String(8), ForeignKey("members.code"), nullable=False),
    Column("principal_id", Integer, ForeignKey("principals.id"), nullable=False),
    Column("collection_id", String(36), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("status", String(10), nullable=False),
    Column("total_count", Integer, nullable=False),
    Column("success_count", Integer, nullable=False),
    Column("failure_count", Integer, nullable=False),
    Column("pending_count", Integer, nullable=False),
    Column("successes", JSON, nullable=False),
    Column("failures", JSON, nullable=False),
    Column("pendings", JSON, nullable=False),
    Index(None, "created_at"),
)
