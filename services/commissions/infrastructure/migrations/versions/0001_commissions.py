"""commissions, clawback adjustments, partner ledgers, payout holds, click allowances,
budget releases, parked refunds, outbox and inbox

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

from common.seedwork.infrastructure.migration_ops import (
    create_messaging_tables_v1,
    drop_messaging_tables_v1,
)
from common.seedwork.infrastructure.types import DecimalType, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _id(name="id", **kwargs):
    return sa.Column(name, sa.String(36), **kwargs)


def _timestamps():
    return [sa.Column("created_at", UTCDateTime(), nullable=False),
            sa.Column("updated_at", UTCDateTime(), nullable=False),
            sa.Column("version", sa.Integer, nullable=False)]


def upgrade():
    op.create_table(
        "commissions",
        _id(primary_key=True),
        _id("partner_id", nullable=False),
        _id("campaign_id", nullable=False),
        _id("brand_id", nullable=False),
        _id("conversion_id", nullable=True),
        sa.Column("source_event_id", sa.String(64), nullable=False),
        sa.Column("model", sa.String(3), nullable=False),
        sa.Column("terms_version", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("order_amount", DecimalType(), nullable=True),
        sa.Column("order_currency", sa.String(3), nullable=True),
        sa.Column("clicks", sa.Integer, nullable=True),
        sa.Column("click_day", sa.Date, nullable=True),
        sa.Column("earned", DecimalType(), nullable=False),
        sa.Column("amount", DecimalType(), nullable=False),
        sa.Column("reversed", DecimalType(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("hold_until", UTCDateTime(), nullable=True),
        _id("payout_id", nullable=True),
        sa.Column("refund_ids", sa.JSON, nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        *_timestamps(),
    )
    op.create_index("ix_commissions_partner", "commissions", ["partner_id", "currency", "status"])
    op.create_index("ix_commissions_campaign", "commissions", ["campaign_id", "status"])
    op.create_index("ix_commissions_brand", "commissions", ["brand_id", "status"])
    op.create_index("ix_commissions_due", "commissions", ["status", "hold_until"])
    op.create_index("ix_commissions_payout", "commissions", ["payout_id"])
    op.create_index("ix_commissions_created", "commissions", ["created_at"])

    op.create_table(
        "adjustments",
        _id(primary_key=True),
        _id("partner_id", nullable=False),
        _id("commission_id", nullable=False),
        sa.Column("refund_id", sa.String(200), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", DecimalType(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        _id("payout_id", nullable=True),
        *_timestamps(),
    )
    op.create_index("ix_adjustments_partner", "adjustments", ["partner_id", "currency", "status"])
    op.create_index("ix_adjustments_payout", "adjustments", ["payout_id"])

    op.create_table(
        "ledgers",
        sa.Column("id", sa.String(80), primary_key=True),
        _id("partner_id", nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        *[sa.Column(bucket, DecimalType(), nullable=False)
          for bucket in ("pending", "approved", "in_payout", "paid", "adjustments")],
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_ledgers_partner", "ledgers", ["partner_id"])
    op.create_index("ix_ledgers_currency", "ledgers", ["currency"])

    op.create_table(
        "payout_holds",
        _id(primary_key=True),
        _id("partner_id", nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("amount", DecimalType(), nullable=False),
        sa.Column("commission_ids", sa.JSON, nullable=False),
        sa.Column("adjustment_ids", sa.JSON, nullable=False),
        *_timestamps(),
    )

    op.create_table(
        "click_allowances",
        sa.Column("id", sa.String(120), primary_key=True),
        _id("partner_id", nullable=False),
        _id("campaign_id", nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("paid_clicks", sa.Integer, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )

    op.create_table(
        "budget_releases",
        _id("release_id", primary_key=True),
        _id("reservation_id", nullable=False),
        sa.Column("amount", DecimalType(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("cause", sa.String(250), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_budget_releases_due", "budget_releases", ["status", "next_attempt_at"])

    op.create_table(
        "parked_refunds",
        _id("conversion_id", nullable=False),
        sa.Column("refund_id", sa.String(200), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("order_amount", DecimalType(), nullable=False),
        sa.Column("total_reversed", DecimalType(), nullable=False),
        sa.Column("fully_reversed", sa.Boolean, nullable=False),
        sa.Column("parked_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("conversion_id", "refund_id", name="pk_parked_refunds"),
    )
    create_messaging_tables_v1()


def downgrade():
    drop_messaging_tables_v1()
    for table in ("parked_refunds", "budget_releases", "click_allowances", "payout_holds",
                  "ledgers", "adjustments", "commissions"):
        op.drop_table(table)
