"""Dissemination: subscriptions, endpoints, the outbox of deliveries, acknowledgements."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from markaz.storage.schema import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "endpoints",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("member_code", sa.String(8), sa.ForeignKey("members.code"), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
    )
    op.create_index("ix_endpoints_member_code", "endpoints", ["member_code"])
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("member_code", sa.String(8), sa.ForeignKey("members.code"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("min_lon", sa.Float),
        sa.Column("min_lat", sa.Float),
        sa.Column("max_lon", sa.Float),
        sa.Column("max_lat", sa.Float),
        sa.Column("polygon", sa.JSON),
        sa.Column("categories", sa.JSON),
        sa.Column("min_precedence", sa.String(10)),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
    )
    op.create_index("ix_subscriptions_member_code", "subscriptions", ["member_code"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event", sa.String(12), nullable=False),
        sa.Column("precedence_rank", sa.SmallInteger, nullable=False),
        sa.Column("refs", sa.JSON, nullable=False),
        sa.Column("recipients", sa.JSON),
        sa.Column("payload", sa.JSON),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_outbox_state_precedence_rank_id", "outbox", ["state", "precedence_rank", "id"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("member_code", sa.String(8), sa.ForeignKey("members.code"), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("outbox_id", sa.Integer, sa.ForeignKey("outbox.id"), nullable=False),
        sa.Column("event", sa.String(12), nullable=False),
        sa.Column("precedence", sa.String(10), nullable=False),
        sa.Column("precedence_rank", sa.SmallInteger, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("due_at", UtcDateTime, nullable=False),
        sa.Column("received_at", UtcDateTime),
        sa.Column("received_via", sa.String(10)),
        sa.Column("acknowledged_at", UtcDateTime),
        sa.Column("acknowledged_by", sa.String(80)),
        sa.Column("escalations", sa.SmallInteger, nullable=False),
        sa.Column("escalate_at", UtcDateTime),
        sa.Column("resends", sa.SmallInteger, nullable=False),
    )
    op.create_index(
        "ix_deliveries_member_code_precedence_rank_created_at",
        "deliveries",
        ["member_code", "precedence_rank", "created_at"],
    )
    op.create_index("ix_deliveries_member_code_created_at", "deliveries", ["member_code", "created_at"])
    op.create_index("ix_deliveries_ref", "deliveries", ["ref"])
    op.create_index("ix_deliveries_escalate_at", "deliveries", ["escalate_at"])
    op.create_table(
        "pushes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.String(26), sa.ForeignKey("deliveries.id"), nullable=False),
        sa.Column("endpoint_id", sa.Integer, sa.ForeignKey("endpoints.id"), nullable=False),
        sa.Column("member_code", sa.String(8), nullable=False),
        sa.Column("precedence_rank", sa.SmallInteger, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.SmallInteger, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime, nullable=False),
        sa.Column("claimed_at", UtcDateTime),
        sa.Column("done_at", UtcDateTime),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_pushes_state_precedence_rank_id", "pushes", ["state", "precedence_rank", "id"])
    op.create_index("ix_pushes_delivery_id", "pushes", ["delivery_id"])


def downgrade() -> None:
    op.drop_table("pushes")
    op.drop_table("deliveries")
    op.drop_table("outbox")
    op.drop_table("subscriptions")
    op.drop_table("endpoints")
