"""SQLAlchemy tables of the webhooks database (must match the migrations; a test checks).

``enrollments`` and ``commissions`` are replicas from other services' events: which
brands a partner works with, and whose commissions a payout pays. ``commissions`` is no
longer written (payout events name the brands now): it still answers for a payout held
before they did, and may be dropped once no such payout is left to pay."""
from sqlalchemy import JSON, Column, Float, Index, Integer, MetaData, String, Table, Text, text
from sqlalchemy.orm import DeclarativeBase

from common.seedwork.infrastructure.messaging import POSITION, add_messaging_tables
from common.seedwork.infrastructure.types import UTCDateTime

metadata = MetaData()

endpoints = Table(
    "endpoints", metadata,
    Column("id", String(36), primary_key=True),
    Column("owner_type", String(10), nullable=False),
    Column("owner_id", String(36), nullable=False),
    Column("url", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("status", String(10), nullable=False),
    Column("secret", String(255), nullable=False),  # sealed (infrastructure/sealing.py)
    Column("previous_secret", String(255), nullable=True),
    Column("previous_secret_expires_at", UTCDateTime(), nullable=True),
    Column("consecutive_failures", Integer, nullable=False),
    Column("failing_since", UTCDateTime(), nullable=True),
    Column("disabled_reason", String(20), nullable=True),
    Column("disabled_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_endpoints_owner", "owner_type", "owner_id"),
)

_LEASED = text("lease_until IS NOT NULL")

deliveries = Table(
    "deliveries", metadata,
    Column("id", String(36), primary_key=True),
    Column("endpoint_id", String(36), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(50), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("step", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=True),
    Column("lease_owner", String(100), nullable=True),
    Column("lease_until", UTCDateTime(), nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("delivered_at", UTCDateTime(), nullable=True),
    Column("version", Integer, nullable=False),
    Index("ix_deliveries_due", "status", "next_attempt_at"),
    Index("ix_deliveries_endpoint", "endpoint_id", "created_at"),
    # the leased ones, per endpoint: the leases count them (infrastructure/leases.py)
    Index("ix_deliveries_leased", "endpoint_id", "lease_until", sqlite_where=_LEASED,
          postgresql_where=_LEASED),
)

delivery_attempts = Table(
    "delivery_attempts", metadata,
    Column("position", POSITION, primary_key=True, autoincrement=True),
    Column("delivery_id", String(36), nullable=False),
    Column("endpoint_id", String(36), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("duration_ms", Float, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("outcome", String(20), nullable=False),
    Column("response_excerpt", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("next_attempt_at", UTCDateTime(), nullable=True),
    Index("ix_delivery_attempts_delivery", "delivery_id", "position"),
)

enrollments = Table(
    "enrollments", metadata,
    Column("id", String(36), primary_key=True),
    Column("partner_id", String(36), nullable=False),
    Column("brand_id", String(36), nullable=False),
    Column("campaign_id", String(36), nullable=False),
    Index("ix_enrollments_partner", "partner_id"),
)

commissions = Table(
    "commissions", metadata,
    Column("id", String(36), primary_key=True),
    Column("brand_id", String(36), nullable=False),
    Column("partner_id", String(36), nullable=False),
)

outbox_messages, inbox_messages = add_messaging_tables(metadata)


class Base(DeclarativeBase):
    """The database's declarative base: nameko-sqlalchemy's ``Database`` provider keys the
    URI by its name (``DB_URIS["webhooks:Base"]``)."""

    metadata = metadata
