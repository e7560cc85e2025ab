"""tracking: replicas, clicks, conversions, daily stats, outbox and inbox

Revision ID: 0001
Revises:
Create Date: 2026-11-30
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
CODE = sa.String(64)
IP = sa.String(45)


def upgrade():
    _replicas()
    _clicks()
    _conversions()
    _stats()
    create_messaging_tables_v1()


def _replicas():
    op.create_table(
        "campaigns",
        sa.Column("id", ID, primary_key=True),
        sa.Column("brand_id", ID, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("landing_url", sa.Text, nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=True),
        sa.Column("ends_at", UTCDateTime(), nullable=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "campaign_terms",
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("terms_version", sa.Integer, nullable=False),
        sa.Column("model", sa.String(3), nullable=False),
        sa.Column("attribution_window_days", sa.Integer, nullable=False),
        sa.Column("effective_from", UTCDateTime(), nullable=False),
        sa.Column("terms", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "terms_version", name="pk_campaign_terms"),
    )
    op.create_table(
        "enrollments",
        sa.Column("id", ID, primary_key=True),
        sa.Column("referral_code", CODE, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("brand_id", ID, nullable=False),
        sa.Column("partner_id", ID, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ux_enrollments_referral_code", "enrollments", ["referral_code"],
                    unique=True)
    op.create_table(
        "partners",
        sa.Column("id", ID, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "partner_ips",
        sa.Column("partner_id", ID, nullable=False),
        sa.Column("ip", IP, nullable=False),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", "ip", name="pk_partner_ips"),
    )


def _clicks():
    op.create_table(
        "clicks",
        sa.Column("id", ID, primary_key=True),
        sa.Column("referral_code", CODE, nullable=False),
        sa.Column("enrollment_id", ID, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("brand_id", ID, nullable=False),
        sa.Column("partner_id", ID, nullable=False),
        sa.Column("ip", IP, nullable=False),
        sa.Column("user_agent", sa.Text, nullable=False),
        sa.Column("landing_url", sa.Text, nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(30), nullable=True),
        sa.Column("terms_version", sa.Integer, nullable=True),
        sa.Column("billable", sa.Boolean, nullable=False),
        sa.Column("cpc_batch_id", ID, nullable=True),
    )
    op.create_index("ix_clicks_brand_ip_time", "clicks", ["brand_id", "ip", "occurred_at"])
    op.create_index("ix_clicks_unbilled", "clicks", ["billable", "cpc_batch_id"])
    op.create_table(
        "click_counters",
        sa.Column("referral_code", CODE, nullable=False),
        sa.Column("ip", IP, nullable=False),
        sa.Column("minute", UTCDateTime(), nullable=False),
        sa.Column("clicks", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("minute", "referral_code", "ip", name="pk_click_counters"),
    )


def _conversions():
    op.create_table(
        "conversions",
        sa.Column("id", ID, primary_key=True),
        sa.Column("brand_id", ID, nullable=False),
        sa.Column("order_id", sa.String(100), nullable=False),
        sa.Column("amount", DecimalType(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(30), nullable=True),
        sa.Column("partner_id", ID, nullable=True),
        sa.Column("campaign_id", ID, nullable=True),
        sa.Column("enrollment_id", ID, nullable=True),
        sa.Column("referral_code", CODE, nullable=True),
        sa.Column("click_id", ID, nullable=True),
        sa.Column("terms_version", sa.Integer, nullable=True),
        sa.Column("terms", sa.JSON, nullable=True),
        sa.Column("customer_ip", IP, nullable=True),
        sa.Column("customer_id", sa.String(320), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("reversed_amount", DecimalType(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ux_conversions_brand_order", "conversions", ["brand_id", "order_id"],
                    unique=True)
    op.create_index("ix_conversions_brand_time", "conversions", ["brand_id", "occurred_at"])
    op.create_index("ix_conversions_campaign_time", "conversions",
                    ["campaign_id", "occurred_at"])
    op.create_index("ix_conversions_partner_time", "conversions",
                    ["partner_id", "occurred_at"])
    op.create_table(
        "conversion_refunds",
        sa.Column("conversion_id", ID, nullable=False),
        sa.Column("refund_id", sa.String(100), nullable=False),
        sa.Column("amount", DecimalType(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("conversion_id", "refund_id", name="pk_conversion_refunds"),
    )


def _counters():
    return [
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("clicks", sa.Integer, nullable=False),
        sa.Column("valid_clicks", sa.Integer, nullable=False),
        sa.Column("conversions", sa.Integer, nullable=False),
        sa.Column("rejected_conversions", sa.Integer, nullable=False),
        sa.Column("revenue", DecimalType(), nullable=False),
    ]


def _stats():
    op.create_table(
        "campaign_daily_stats",
        sa.Column("campaign_id", ID, nullable=False),
        *_counters(),
        sa.PrimaryKeyConstraint("campaign_id", "day", name="pk_campaign_daily_stats"),
    )
    op.create_table(
        "partner_daily_stats",
        sa.Column("partner_id", ID, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        *_counters(),
        sa.PrimaryKeyConstraint("partner_id", "campaign_id", "day",
                                name="pk_partner_daily_stats"),
    )


def downgrade():
    drop_messaging_tables_v1()
    for table in ("partner_daily_stats", "campaign_daily_stats", "conversion_refunds",
                  "conversions", "click_counters", "clicks", "partner_ips", "partners",
                  "enrollments", "campaign_terms", "campaigns"):
        op.drop_table(table)
