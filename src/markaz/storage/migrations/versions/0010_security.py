"""Security: token scopes, rate limits, members' signing keys and report signatures."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from markaz.storage.schema import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing tokens become "admin": scope and role must both allow an action, so a token
    # older than scopes keeps doing exactly what its role allowed before.
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("scope", sa.String(8), nullable=False, server_default="admin"))
    op.create_table(
        "rate_windows",
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("window_start", sa.Integer, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name="pk_rate_windows"),
    )
    op.create_index("ix_rate_windows_window_start", "rate_windows", ["window_start"])
    op.create_table(
        "signing_keys",
        sa.Column("key_id", sa.String(32), primary_key=True),
        sa.Column("member_code", sa.String(8), sa.ForeignKey("members.code"), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("revoked_at", UtcDateTime),
    )
    op.create_index("ix_signing_keys_member_code", "signing_keys", ["member_code"])
    op.create_table(
        "report_signatures",
        sa.Column("report_id", sa.String(26), sa.ForeignKey("reports.id"), primary_key=True),
        sa.Column("key_id", sa.String(32), sa.ForeignKey("signing_keys.key_id"), nullable=False),
        sa.Column("signature", sa.String(100), nullable=False),
        sa.Column("signed_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("report_signatures")
    op.drop_index("ix_signing_keys_member_code", table_name="signing_keys")
    op.drop_table("signing_keys")
    op.drop_index("ix_rate_windows_window_start", table_name="rate_windows")
    op.drop_table("rate_windows")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("scope")
