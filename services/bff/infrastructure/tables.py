"""SQLAlchemy tables of the BFF's read model (must match the migrations; a test checks).

The dashboards' read model, kept by events (``services/bff/read_model.py``) and read in
one transaction per dashboard (``application/views.py``). It owns nothing: every row is
another service's state as its latest event said, and every row can be rebuilt by
replaying those events.

* documents: ``partner_profiles`` (partners' events), ``brands``, ``campaigns`` and
  ``enrollments`` (campaigns' events) -- the newest ``revision`` wins;
* ``partner_stats``: tracking's daily rows (``stats_changed``), newest revision wins, and
  ``campaign_stats``, their sums per campaign and day (kept by the differences);
* ``balances`` and ``budgets``: commissions' ledgers and campaign budgets
  (``balances_changed``), newest revision wins, and ``earnings``: what each partner's
  ledger grew (or shrank) by, per UTC day of its postings.
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
)
from sqlalchemy.orm import DeclarativeBase

from common.seedwork.infrastructure.messaging import add_messaging_tables
from common.seedwork.infrastructure.types import DecimalType, UTCDateTime

metadata = MetaData()

ID = String(36)
CURRENCY = String(3)

partner_profiles = Table(
    "partner_profiles", metadata,
    Column("partner_id", ID, primary_key=True),
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
)

brands = Table(
    "brands", metadata,
    Column("brand_id", ID, primary_key=True),
    Column("brand", JSON, nullable=False),            # {brand_id, name, currency, registered_at}
)

campaigns = Table(
    "campaigns", metadata,
    Column("campaign_id", ID, primary_key=True),
    Column("brand_id", ID, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("campaign", JSON, nullable=False),         # the dashboard's campaign, as shown
    Index("ix_campaigns_brand", "brand_id", "created_at"),
)

enrollments = Table(
    "enrollments", metadata,
    Column("enrollment_id", ID, primary_key=True),
    Column("partner_id", ID, nullable=False),
    Column("enrolled_at", UTCDateTime(), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("enrollment", JSON, nullable=False),       # as shown
    Index("ix_enrollments_partner", "partner_id", "enrolled_at"),
)

# every enrollment's and application's status, newest revision winning: the brand
# dashboard counts the applications waiting for the brand (PENDING)
enrollment_states = Table(
    "enrollment_states", metadata,
    Column("enrollment_id", ID, primary_key=True),
    Column("brand_id", ID, nullable=False),
    Column("campaign_id", ID, nullable=False),
    Column("status", String(20), nullable=False),
    Column("revision", Integer, nullable=False),
    Index("ix_enrollment_states_brand_status", "brand_id", "status"),
)


def _counters() -> list[Column]:
    return [
        Column("currency", CURRENCY, nullable=False),
        Column("clicks", Integer, nullable=False),
        Column("valid_clicks", Integer, nullable=False),
        Column("conversions", Integer, nullable=False),
        Column("rejected_conversions", Integer, nullable=False),
        Column("revenue", DecimalType(), nullable=False),
    ]


partner_stats = Table(
    "partner_stats", metadata,
    Column("partner_id", ID, nullable=False),
    Column("day", Date, nullable=False),
    Column("campaign_id", ID, nullable=False),
    *_counters(),
    Column("revision", Integer, nullable=False),      # tracking's; 0: a row not heard of yet
    PrimaryKeyConstraint("partner_id", "day", "campaign_id", name="pk_partner_stats"),
    Index("ix_partner_stats_campaign_day", "campaign_id", "day"),  # a brand's top partners
)

campaign_stats = Table(
    "campaign_stats", metadata,
    Column("campaign_id", ID, nullable=False),
    Column("day", Date, nullable=False),
    *_counters(),
    PrimaryKeyConstraint("campaign_id", "day", name="pk_campaign_stats"),
)

BUCKETS = ("pending", "approved", "in_payout", "paid", "adjustments")

balances = Table(
    "balances", metadata,
    Column("partner_id", ID, nullable=False),
    Column("currency", CURRENCY, nullable=False),
    *(Column(bucket, DecimalType(), nullable=False) for bucket in BUCKETS),
    Column("revision", Integer, nullable=False),      # commissions'; 0: not heard of yet
    PrimaryKeyConstraint("partner_id", "currency", name="pk_balances"),
)

earnings = Table(
    "earnings", metadata,
    Column("partner_id", ID, nullable=False),
    Column("day", Date, nullable=False),
    Column("currency", CURRENCY, nullable=False),
    Column("amount", DecimalType(), nullable=False),
    PrimaryKeyConstraint("partner_id", "day", "currency", name="pk_earnings"),
)

budgets = Table(
    "budgets", metadata,
    Column("campaign_id", ID, primary_key=True),
    Column("brand_id", ID, nullable=False),
    Column("currency", CURRENCY, nullable=False),
    Column("total", DecimalType(), nullable=False),
    Column("reserved", DecimalType(), nullable=False),
    Column("exhausted", Boolean, nullable=False),
    Column("pending_count", Integer, nullable=False),
    Column("pending_amount", DecimalType(), nullable=False),
    Column("revision", Integer, nullable=False),
    Index("ix_budgets_brand", "brand_id"),
)

outbox_messages, inbox_messages = add_messaging_tables(metadata)


class Base(DeclarativeBase):
    """The read model's declarative base: nameko-sqlalchemy's ``Database`` provider keys
    the URI by its name (``DB_URIS["bff:Base"]``)."""

    metadata = metadata
