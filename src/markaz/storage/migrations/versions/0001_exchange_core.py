"""The exchange core: members, principals, tokens, reports, access, observations, audit."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from markaz.storage.dialects import dialect_for
from markaz.storage.schema import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("code", sa.String(8), primary_key=True),
        sa.Column("names", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("joined_at", UtcDateTime, nullable=False),
        sa.Column("founding_order", sa.Integer, nullable=False),
    )
    op.create_table(
        "principals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("member_code", sa.String(8), sa.ForeignKey("members.code"), nullable=False),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200)),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("disabled_at", UtcDateTime),
    )
    op.create_index("ix_principals_member_code", "principals", ["member_code"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("principal_id", sa.Integer, sa.ForeignKey("principals.id"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("revoked_at", UtcDateTime),
    )
    op.create_index("ix_api_tokens_principal_id", "api_tokens", ["principal_id"])
    op.create_table(
        "reports",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("originator", sa.String(8), sa.ForeignKey("members.code"), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("principals.id"), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("observed_at", UtcDateTime),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("language", sa.String(35)),
        sa.Column("precedence", sa.String(10), nullable=False),
        sa.Column("precedence_rank", sa.SmallInteger, nullable=False),
        sa.Column("source_reliability", sa.String(1), nullable=False),
        sa.Column("information_credibility", sa.String(1), nullable=False),
        sa.Column("tlp", sa.String(12), nullable=False),
        sa.Column("releasable_to", sa.JSON, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("supersedes", sa.String(26), sa.ForeignKey("reports.id")),
        sa.Column("superseded_by", sa.String(26)),
        sa.Column("retracted_at", UtcDateTime),
        sa.Column("retraction_reason", sa.Text),
        sa.Column("client_ref", sa.String(200)),
        sa.UniqueConstraint("originator", "client_ref", name="uq_reports_originator_client_ref"),
    )
    op.create_index("ix_reports_created_at", "reports", ["created_at"])
    op.create_table(
        "report_access",
        sa.Column("member_code", sa.String(8), sa.ForeignKey("members.code"), nullable=False),
        sa.Column("report_id", sa.String(26), sa.ForeignKey("reports.id"), nullable=False),
        sa.PrimaryKeyConstraint("member_code", "report_id", name="pk_report_access"),
    )
    op.create_index("ix_report_access_report_id", "report_access", ["report_id"])
    op.create_table(
        "observations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("report_id", sa.String(26), sa.ForeignKey("reports.id"), nullable=False),
        sa.Column("ordinal", sa.SmallInteger, nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("geometry", sa.JSON, nullable=False),
        sa.Column("min_lon", sa.Float, nullable=False),
        sa.Column("min_lat", sa.Float, nullable=False),
        sa.Column("max_lon", sa.Float, nullable=False),
        sa.Column("max_lat", sa.Float, nullable=False),
        sa.Column("observed_at", UtcDateTime),
        sa.Column("subject", sa.String(200)),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_observations_report_id", "observations", ["report_id"])
    op.create_index("ix_observations_category", "observations", ["category"])
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("object_type", sa.String(20), nullable=False),
        sa.Column("object_id", sa.String(64), nullable=False),
        sa.Column("object_hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_log_object_type_object_id", "audit_log", ["object_type", "object_id"])
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS_HASH}])
    for statement in dialect_for(op.get_bind().dialect.name).ddl():
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("markaz does not downgrade the exchange core; restore a backup")
