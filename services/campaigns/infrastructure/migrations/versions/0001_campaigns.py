"""brands, campaigns and terms, enrollments, partner replica, budget, outbox and inbox

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


def upgrade():
    op.create_table(
        "brands",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_brands_registered_at", "brands", ["registered_at"])
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("brand_id", sa.String(36),
                  sa.ForeignKey("brands.id", name="fk_campaigns_brand"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("pause_reason", sa.String(50), nullable=True),
        sa.Column("budget_amount", DecimalType(), nullable=False),
        sa.Column("reserved_amount", DecimalType(), nullable=False),
        sa.Column("budget_exhausted", sa.Boolean, nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=True),
        sa.Column("ends_at", UTCDateTime(), nullable=True),
        sa.Column("landing_url", sa.String(2000), nullable=False),
        sa.Column("eligible_partner_types", sa.JSON, nullable=False),
        sa.Column("eligible_countries", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_campaigns_brand_status", "campaigns", ["brand_id", "status"])
    op.create_index("ix_campaigns_status_created", "campaigns", ["status", "created_at"])
    op.create_table(
        "campaign_terms",
        sa.Column("campaign_id", sa.String(36),
                  sa.ForeignKey("campaigns.id", name="fk_terms_campaign"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("model", sa.String(3), nullable=False),
        sa.Column("rate", DecimalType(), nullable=True),
        sa.Column("min_amount", DecimalType(), nullable=True),
        sa.Column("max_amount", DecimalType(), nullable=True),
        sa.Column("amount", DecimalType(), nullable=True),
        sa.Column("daily_click_cap", sa.Integer, nullable=True),
        sa.Column("attribution_window_days", sa.Integer, nullable=False),
        sa.Column("hold_days", sa.Integer, nullable=False),
        sa.Column("effective_from", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "version", name="pk_campaign_terms"),
    )
    op.create_table(
        "enrollments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("campaign_id", sa.String(36),
                  sa.ForeignKey("campaigns.id", name="fk_enrollments_campaign"),
                  nullable=False),
        sa.Column("brand_id", sa.String(36), nullable=False),
        sa.Column("partner_id", sa.String(36), nullable=False),
        sa.Column("referral_code", sa.String(16), nullable=False),
        sa.Column("tracking_url", sa.String(2100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("suspension_reason", sa.String(100), nullable=True),
        sa.Column("enrolled_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("referral_code", name="ux_enrollments_referral_code"),
        sa.UniqueConstraint("campaign_id", "partner_id", name="ux_enrollments_campaign_partner"),
    )
    op.create_index("ix_enrollments_partner", "enrollments", ["partner_id", "status"])
    op.create_table(
        "partner_replicas",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "budget_reservations",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("campaign_id", sa.String(36),
                  sa.ForeignKey("campaigns.id", name="fk_reservations_campaign"),
                  nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", DecimalType(), nullable=False),
        sa.Column("released_amount", DecimalType(), nullable=False),
        sa.Column("remaining_after", DecimalType(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_budget_reservations_campaign", "budget_reservations", ["campaign_id"])
    op.create_table(
        "budget_releases",
        sa.Column("reservation_id", sa.String(100),
                  sa.ForeignKey("budget_reservations.id", name="fk_releases_reservation"),
                  nullable=False),
        sa.Column("release_id", sa.String(100), nullable=False),
        sa.Column("amount", DecimalType(), nullable=False),
        sa.Column("reserved_after", DecimalType(), nullable=False),
        sa.Column("remaining_after", DecimalType(), nullable=False),
        sa.Column("released_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("reservation_id", "release_id", name="pk_budget_releases"),
    )
    create_messaging_tables_v1()


def downgrade():
    drop_messaging_tables_v1()
    for table in ("budget_releases", "budget_reservations", "partner_replicas", "enrollments",
                  "campaign_terms", "campaigns", "brands"):
        op.drop_table(table)
