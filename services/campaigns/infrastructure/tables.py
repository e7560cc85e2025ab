"""SQLAlchemy tables of the campaigns database (must match the migrations; a test checks)."""
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase

from common.seedwork.infrastructure.messaging import add_messaging_tables
from common.seedwork.infrastructure.types import DecimalType, UTCDateTime

metadata = MetaData()

brands = Table(
    "brands", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("registered_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_brands_registered_at", "registered_at"),
)

campaigns = Table(
    "campaigns", metadata,
    Column("id", String(36), primary_key=True),
    Column("brand_id", String(36), ForeignKey("brands.id", name="fk_campaigns_brand"),
           nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(20), nullable=False),
    Column("pause_reason", String(50), nullable=True),
    Column("budget_amount", DecimalType(), nullable=False),
    Column("budget_exhausted", Boolean, nullable=False),
    Column("starts_at", UTCDateTime(), nullable=True),
    Column("ends_at", UTCDateTime(), nullable=True),
    Column("landing_url", String(2000), nullable=False),
    Column("eligible_partner_types", JSON, nullable=False),
    Column("eligible_countries", JSON, nullable=False),
    Column("admission", String(10), nullable=False, server_default="open"),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_campaigns_brand_status", "brand_id", "status"),
    Index("ix_campaigns_status_created", "status", "created_at"),
)

campaign_terms = Table(
    "campaign_terms", metadata,
    Column("campaign_id", String(36), ForeignKey("campaigns.id", name="fk_terms_campaign"),
           nullable=False),
    Column("version", Integer, nullable=False),
    Column("model", String(3), nullable=False),
    Column("rate", DecimalType(), nullable=True),
    Column("min_amount", DecimalType(), nullable=True),
    Column("max_amount", DecimalType(), nullable=True),
    Column("amount", DecimalType(), nullable=True),
    Column("daily_click_cap", Integer, nullable=True),
    Column("recurring_months", Integer, nullable=True),
    Column("attribution_window_days", Integer, nullable=False),
    Column("hold_days", Integer, nullable=False),
    Column("effective_from", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("campaign_id", "version", name="pk_campaign_terms"),
)

enrollments = Table(
    "enrollments", metadata,
    Column("id", String(36), primary_key=True),
    Column("campaign_id", String(36),
           ForeignKey("campaigns.id", name="fk_enrollments_campaign"), nullable=False),
    Column("brand_id", String(36), nullable=False),
    Column("partner_id", String(36), nullable=False),
    Column("referral_code", String(16), nullable=False),
    Column("tracking_url", String(2100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("suspension_reason", String(100), nullable=True),
    Column("applied_at", UTCDateTime(), nullable=True),
    Column("application_note", Text, nullable=True),
    Column("decline_reason", Text, nullable=True),
    Column("suspension_note", Text, nullable=True),
    Column("commission", JSON, nullable=True),  # the partner's own figures (dto.commission)
    Column("commission_since", UTCDateTime(), nullable=True),
    Column("enrolled_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint("referral_code", name="ux_enrollments_referral_code"),
    UniqueConstraint("campaign_id", "partner_id", name="ux_enrollments_campaign_partner"),
    Index("ix_enrollments_partner", "partner_id", "status"),
)

partner_replicas = Table(
    "partner_replicas", metadata,
    Column("id", String(36), primary_key=True),
    Column("type", String(20), nullable=False),
    Column("country", String(2), nullable=False),
    Column("status", String(20), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
)

outbox_messages, inbox_messages = add_messaging_tables(metadata)


class Base(DeclarativeBase):
    """The database's declarative base: nameko-sqlalchemy's ``Database`` provider keys the
    URI by its name (``DB_URIS["campaigns:Base"]``)."""

    metadata = metadata
