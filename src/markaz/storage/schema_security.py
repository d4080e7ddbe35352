"""Tables of the security area: rate-limit windows, members' signing keys, report signatures."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Table

from markaz.storage.schema import UtcDateTime, metadata

# One row per (limited key, fixed window): the requests settled for good (security/ratelimit.py).
rate_windows = Table(
    "rate_windows",
    metadata,
    Column("key", String(80), nullable=False),
    Column("window_start", Integer, nullable=False),
    Column("count", Integer, nullable=False),
    PrimaryKeyConstraint("key", "window_start", name="pk_rate_windows"),
    Index(None, "window_start"),
)

# The lease each process holds on a key's window: reserved, used as last reported, and when it
# expires unless renewed (a process that died stops renewing; its unused share is reclaimed).
rate_leases = Table(
    "rate_leases",
    metadata,
    Column("key", String(80), nullable=False),
    Column("window_start", Integer, nullable=False),
    Column("holder", String(32), nullable=False),
    Column("reserved", Integer, nullable=False),
    Column("used", Integer, nullable=False),
    Column("expires_at", Float, nullable=False),  # seconds since the epoch, like window_start
    PrimaryKeyConstraint("key", "window_start", "holder", name="pk_rate_leases"),
    Index(None, "window_start"),
)

# Ed25519 public keys members register to sign their submissions.
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("member_code", String(8), ForeignKey("members.code"), nullable=False),
    Column("public_key", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("revoked_at", UtcDateTime),
    Index(None, "member_code"),
)

# The signature a report arrived with: proof, for the member, of what the centre accepted.
report_signatures = Table(
    "report_signatures",
    metadata,
    Column("report_id", String(26), ForeignKey("reports.id"), primary_key=True),
    Column("key_id", String(32), ForeignKey("signing_keys.key_id"), nullable=False),
    Column("signature", String(100), nullable=False),
    Column("signed_at", UtcDateTime, nullable=False),
)
