"""payouts with their saga log, the partner (payee) replica, the simulated PSP's
records, outbox and inbox

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

from common.seedwork.infrastructure.messaging import POSITION
from common.seedwork.infrastructure.migration_ops import (
    create_messaging_tables_v1,
    drop_messaging_tables_v1,
)
from common.seedwork.infrastructure.types import DecimalType, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "payouts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("partner_id", sa.String(36), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("cycle", sa.String(40), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("min_amount", DecimalType(), nullable=False),
        sa.Column("payout_method", sa.JSON, nullable=False),
        sa.Column("amount", DecimalType(), nullable=True),
        sa.Column("commission_ids", sa.JSON, nullable=False),
        sa.Column("adjustment_ids", sa.JSON, nullable=False),
        sa.Column("psp_reference", sa.String(100), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("lease_owner", sa.String(100), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("partner_id", "currency", "cycle", name="ux_payouts_partner_cycle"),
    )
    op.create_index("ix_payouts_status", "payouts", ["status", "next_attempt_at"])
    op.create_index("ix_payouts_created", "payouts", ["created_at"])
    op.create_table(
        "payout_steps",
        sa.Column("position", POSITION, primary_key=True, autoincrement=True),
        sa.Column("payout_id", sa.String(36), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("step", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_payout_steps_payout", "payout_steps", ["payout_id", "position"])
    op.create_table(
        "payees",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("payout_method", sa.JSON, nullable=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "psp_payments",
        sa.Column("idempotency_key", sa.String(64), primary_key=True),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("payee_id", sa.String(36), nullable=False),
        sa.Column("amount", DecimalType(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("paid_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "psp_requests",
        sa.Column("position", POSITION, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(100), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    create_messaging_tables_v1()


def downgrade():
    drop_messaging_tables_v1()
    for table in ("psp_requests", "psp_payments", "payees", "payout_steps", "payouts"):
        op.drop_table(table)
