"""SQLAlchemy tables of the payouts database (must match the migrations; a test checks).

``psp_payments`` and ``psp_requests`` belong to the simulated PSP adapter: they stand for
the provider's own records (it remembers every payment by idempotency key)."""
from sqlalchemy import (
    JSON,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase

from common.seedwork.infrastructure.messaging import POSITION, add_messaging_tables
from common.seedwork.infrastructure.types import DecimalType, UTCDateTime

metadata = MetaData()

# A partner has at most one payout under way (domain.payout.ACTIVE) per currency.
UNDER_WAY = text("status IN ('PENDING', 'HELD', 'CONFIRMING', 'COMPENSATING')")

payouts = Table(
    "payouts", metadata,
    Column("id", String(36), primary_key=True),
    Column("partner_id", String(36), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("cycle", String(40), nullable=False),
    Column("status", String(30), nullable=False),
    Column("min_amount", DecimalType(), nullable=False),
    Column("payout_method", JSON, nullable=False),
    Column("amount", DecimalType(), nullable=True),
    Column("commission_ids", JSON, nullable=False),
    Column("adjustment_ids", JSON, nullable=False),
    Column("commission_brands", JSON, nullable=True),  # NULL: held before it was kept
    Column("psp_reference", String(100), nullable=True),
    Column("reason", Text, nullable=True),
    Column("attempt", Integer, nullable=False),
    Column("lease_owner", String(100), nullable=True),
    Column("lease_until", UTCDateTime(), nullable=True),
    Column("next_attempt_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint("partner_id", "currency", "cycle", name="ux_payouts_partner_cycle"),
    Index("ux_payouts_partner_under_way", "partner_id", "currency", unique=True,
          sqlite_where=UNDER_WAY, postgresql_where=UNDER_WAY),
    Index("ix_payouts_status", "status", "next_attempt_at"),
    Index("ix_payouts_created", "created_at"),
)

payout_steps = Table(
    "payout_steps", metadata,
    Column("position", POSITION, primary_key=True, autoincrement=True),
    Column("payout_id", String(36), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("step", String(20), nullable=False),
    Column("outcome", String(10), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_payout_steps_payout", "payout_id", "position"),
)

payees = Table(
    "payees", metadata,
    Column("id", String(36), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("payout_method", JSON, nullable=True),
    Column("revision", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
)

psp_payments = Table(
    "psp_payments", metadata,
    Column("idempotency_key", String(64), primary_key=True),
    Column("reference", String(100), nullable=False),
    Column("payee_id", String(36), nullable=False),
    Column("amount", DecimalType(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("paid_at", UTCDateTime(), nullable=False),
)

psp_requests = Table(
    "psp_requests", metadata,
    Column("position", POSITION, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(64), nullable=False),
    Column("outcome", String(10), nullable=False),
    Column("reason", String(100), nullable=True),
    Column("at", UTCDateTime(), nullable=False),
)

outbox_messages, inbox_messages = add_messaging_tables(metadata)


class Base(DeclarativeBase):
    """The database's declarative base: nameko-sqlalchemy's ``Database`` provider keys the
    URI by its name (``DB_URIS["payouts:Base"]``)."""

    metadata = metadata
