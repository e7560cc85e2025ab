"""SQLAlchemy tables of the partners database (must match the migrations; a test checks)."""
from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text, func
from sqlalchemy.orm import DeclarativeBase

from common.seedwork.infrastructure.messaging import add_messaging_tables
from common.seedwork.infrastructure.types import UTCDateTime

metadata = MetaData()

partners = Table(
    "partners", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("type", String(20), nullable=False),
    Column("country", String(2), nullable=False),
    Column("status", String(20), nullable=False),
    Column("kyc_status", String(20), nullable=False),
    Column("payout_method", JSON, nullable=True),
    Column("suspension_reason", Text, nullable=True),
    Column("registered_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ux_partners_email_ci", func.lower("email"), unique=True),
    Index("ix_partners_status_type", "status", "type"),
)

outbox_messages, inbox_messages = add_messaging_tables(metadata)


class Base(DeclarativeBase):
    """The database's declarative base: nameko-sqlalchemy's ``Database`` provider keys the
    URI by its name (``DB_URIS["partners:Base"]``)."""

    metadata = metadata
