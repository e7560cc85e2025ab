"""SQLAlchemy tables of the commissions database (must match the migrations; a test checks).

``ledgers`` and ``campaign_budgets`` rows are marked ``changed`` by every change; a timer
publishes the marked rows as ``balances_changed`` batches and clears the mark (the
partial indexes hold the marked rows only).
"""
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase

from common.seedwork.infrastructure.messaging import add_messaging_tables
from common.seedwork.infrastructure.types import DecimalType, UTCDateTime

metadata = MetaData()

commissions = Table(
    "commissions", metadata,
    Column("id", String(36), primary_key=True),
    Column("partner_id", String(36), nullable=False),
    Column("campaign_id", String(36), nullable=False),
    Column("brand_id", String(36), nullable=False),
    Column("conversion_id", String(36), nullable=True),
    Column("source_event_id", String(64), nullable=False),
    Column("model", String(3), nullable=True),  # null: a bonus (no terms)
    Column("terms_version", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("order_amount", DecimalType(), nullable=True),
    Column("order_currency", String(3), nullable=True),
    Column("clicks", Integer, nullable=True),
    Column("click_day", Date, nullable=True),
    Column("earned", DecimalType(), nullable=False),
    Column("amount", DecimalType(), nullable=False),
    Column("reversed", DecimalType(), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reason", Text, nullable=True),
    Column("note", Text, nullable=True),  # a bonus: what the brand says it is for
    Column("hold_until", UTCDateTime(), nullable=True),
    Column("payout_id", String(36), nullable=True),
    Column("refund_ids", JSON, nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_commissions_partner", "partner_id", "currency", "status"),
    Index("ix_commissions_campaign", "campaign_id", "status"),
    Index("ix_commissions_brand", "brand_id", "status"),
    Index("ix_commissions_due", "status", "hold_until"),
    Index("ix_commissions_payout", "payout_id"),
    Index("ix_commissions_created", "created_at"),
)

adjustments = Table(
    "adjustments", metadata,
    Column("id", String(36), primary_key=True),
    Column("partner_id", String(36), nullable=False),
    Column("commission_id", String(36), nullable=False),
    Column("refund_id", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", DecimalType(), nullable=False),
    Column("status", String(20), nullable=False),
    Column("payout_id", String(36), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_adjustments_partner", "partner_id", "currency", "status"),
    Index("ix_adjustments_payout", "payout_id"),
)

ledgers = Table(
    "ledgers", metadata,
    Column("id", String(80), primary_key=True),
    Column("partner_id", String(36), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("pending", DecimalType(), nullable=False),
    Column("approved", DecimalType(), nullable=False),
    Column("in_payout", DecimalType(), nullable=False),
    Column("paid", DecimalType(), nullable=False),
    Column("adjustments", DecimalType(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("changed", Boolean, nullable=False, server_default=text("true")),
    Index("ix_ledgers_partner", "partner_id"),
    Index("ix_ledgers_currency", "currency"),
    Index("ix_ledgers_changed", "changed", sqlite_where=text("changed = 1"),
          postgresql_where=text("changed")),
)

payout_holds = Table(
    "payout_holds", metadata,
    Column("id", String(36), primary_key=True),
    Column("partner_id", String(36), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(20), nullable=False),
    Column("amount", DecimalType(), nullable=False),
    Column("commission_ids", JSON, nullable=False),
    Column("adjustment_ids", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
)

click_allowances = Table(
    "click_allowances", metadata,
    Column("id", String(120), primary_key=True),
    Column("partner_id", String(36), nullable=False),
    Column("campaign_id", String(36), nullable=False),
    Column("day", Date, nullable=False),
    Column("paid_clicks", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
)

campaign_budgets = Table(
    "campaign_budgets", metadata,
    Column("id", String(36), primary_key=True),            # the campaign id
    Column("brand_id", String(36), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total", DecimalType(), nullable=False),
    Column("reserved", DecimalType(), nullable=False),
    Column("smallest", DecimalType(), nullable=False),      # least one commission can be
    Column("revision", Integer, nullable=False),            # of the campaign snapshot
    Column("exhausted", Boolean, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("changed", Boolean, nullable=False, server_default=text("true")),
    Index("ix_campaign_budgets_changed", "changed", sqlite_where=text("changed = 1"),
          postgresql_where=text("changed")),
)

parked_refunds = Table(
    "parked_refunds", metadata,
    Column("conversion_id", String(36), nullable=False),
    Column("refund_id", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("order_amount", DecimalType(), nullable=False),
    Column("total_reversed", DecimalType(), nullable=False),
    Column("fully_reversed", Boolean, nullable=False),
    Column("parked_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("conversion_id", "refund_id", name="pk_parked_refunds"),
)

outbox_messages, inbox_messages = add_messaging_tables(metadata)


class Base(DeclarativeBase):
    """The database's declarative base: nameko-sqlalchemy's ``Database`` provider keys the
    URI by its name (``DB_URIS["commissions:Base"]``)."""

    metadata = metadata
