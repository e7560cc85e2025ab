"""the dashboards' read model: profiles, brands, campaigns, enrollments, daily stats,
balances, earnings and budgets, kept by events (plus the inbox and outbox)

Revision ID: 0001
Revises:
Create Date: 2026-12-06
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

ID = sa.String(36)
CURRENCY = sa.String(3)
BUCKETS = ("pending", "approved", "in_payout", "paid", "adjustments")


def _counters() -> list[sa.Column]:
    return [
        sa.Column("currency", CURRENCY, nullable=False),
        sa.Column("clicks", sa.Integer, nullable=False),
        sa.Column("valid_clicks", sa.Integer, nullable=False),
        sa.Column("conversions", sa.Integer, nullable=False),
        sa.Column("rejected_conversions", sa.Integer, nullable=False),
        sa.Column("revenue", DecimalType(), nullable=False),
    ]


def upgrade():
    op.create_table(
        "partner_profiles",
        sa.Column("partner_id", ID, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("kyc_status", sa.String(20), nullable=False),
        sa.Column("payout_method", sa.JSON, nullable=True),
        sa.Column("suspension_reason", sa.Text, nullable=True),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
    )
    op.create_table(
        "brands",
        sa.Column("brand_id", ID, primary_key=True),
        sa.Column("brand", sa.JSON, nullable=False),
    )
    op.create_table(
        "campaigns",
        sa.Column("campaign_id", ID, primary_key=True),
        sa.Column("brand_id", ID, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("campaign", sa.JSON, nullable=False),
    )
    op.create_index("ix_campaigns_brand", "campaigns", ["brand_id", "created_at"])
    op.create_table(
        "enrollments",
        sa.Column("enrollment_id", ID, primary_key=True),
        sa.Column("partner_id", ID, nullable=False),
        sa.Column("enrolled_at", UTCDateTime(), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("enrollment", sa.JSON, nullable=False),
    )
    op.create_index("ix_enrollments_partner", "enrollments", ["partner_id", "enrolled_at"])
    op.create_table(
        "partner_stats",
        sa.Column("partner_id", ID, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        *_counters(),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("partner_id", "day", "campaign_id", name="pk_partner_stats"),
    )
    op.create_table(
        "campaign_stats",
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        *_counters(),
        sa.PrimaryKeyConstraint("campaign_id", "day", name="pk_campaign_stats"),
    )
    op.create_table(
        "balances",
        sa.Column("partner_id", ID, nullable=False),
        sa.Column("currency", CURRENCY, nullable=False),
        *(sa.Column(bucket, DecimalType(), nullable=False) for bucket in BUCKETS),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("partner_id", "currency", name="pk_balances"),
    )
    op.create_table(
        "earnings",
        sa.Column("partner_id", ID, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("currency", CURRENCY, nullable=False),
        sa.Column("amount", DecimalType(), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", "day", "currency", name="pk_earnings"),
    )
    op.create_table(
        "budgets",
        sa.Column("campaign_id", ID, primary_key=True),
        sa.Column("brand_id", ID, nullable=False),
        sa.Column("currency", CURRENCY, nullable=False),
        sa.Column("total", DecimalType(), nullable=False),
        sa.Column("reserved", DecimalType(), nullable=False),
        sa.Column("exhausted", sa.Boolean, nullable=False),
        sa.Column("pending_count", sa.Integer, nullable=False),
        sa.Column("pending_amount", DecimalType(), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
    )
    op.create_index("ix_budgets_brand", "budgets", ["brand_id"])
    create_messaging_tables_v1()


def downgrade():
    drop_messaging_tables_v1()
    for table in ("budgets", "earnings", "balances", "campaign_stats", "partner_stats",
                  "enrollments", "campaigns", "brands", "partner_profiles"):
        op.drop_table(table)
