"""Tables of the browser interface: sessions, per-user preferences, sign-in failures."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from markaz.storage.schema import UtcDateTime, metadata

# A browser session; only the SHA-256 of the cookie value is stored, so a copy of the
# database does not hand out live sessions. Stored in the database so that every API
# process (`markaz serve --workers N`, several hosts on PostgreSQL) knows every session.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("principal_id", Integer, ForeignKey("principals.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    # Written at most once a minute per session (web_sessions.TOUCH_EVERY), not per request.
    Column("last_seen_at", UtcDateTime),
    Index(None, "principal_id"),
    Index(None, "expires_at"),
)

web_preferences = Table(
    "web_preferences",
    metadata,
    Column("principal_id", Integer, ForeignKey("principals.id"), primary_key=True),
    Column("language", String(8), nullable=False),
    Column("calendar", String(16), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Failed sign-ins per user name (known or not, so that the answer never tells which).
web_signin_failures = Table(
    "web_signin_failures",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("first_failed_at", UtcDateTime, nullable=False),
    Column("locked_until", UtcDateTime),
)
