"""SQLAlchemy tables of the tracking database (must match the migrations; a test checks).

* replicas of other contexts: campaigns, campaign_terms, enrollments, partners, and
  partner_ips (IPs the partner itself used, for the self-referral rule); and
  replica_generations, a counter per kind of replica that every write to it raises (the
  process's cache of them trusts what it read under the same generation);
* clicks (append-only), click_counters (flooding: clicks per code, IP and minute) and
  parked_clicks (redirected by the BFF on a code whose enrollment is still on its way);
* conversions and conversion_refunds;
* the stats read model: campaign_daily_stats and partner_daily_stats (whose changed rows
  leave as ``stats_changed`` batches: ``revision`` and ``changed``).
"""
from sqlalchemy import (
    JSON,
    BigInteger,
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

ID = String(36)
CODE = String(64)
IP = String(45)

# --- replicas -----------------------------------------------------------------------------
campaigns = Table(
    "campaigns", metadata,
    Column("id", ID, primary_key=True),
    Column("brand_id", ID, nullable=False),
    Column("status", String(20), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("landing_url", Text, nullable=False),
    Column("starts_at", UTCDateTime(), nullable=True),
    Column("ends_at", UTCDateTime(), nullable=True),
    Column("revision", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

campaign_terms = Table(
    "campaign_terms", metadata,
    Column("campaign_id", ID, nullable=False),
    Column("terms_version", Integer, nullable=False),
    Column("model", String(3), nullable=False),
    Column("attribution_window_days", Integer, nullable=False),
    Column("effective_from", UTCDateTime(), nullable=False),
    Column("terms", JSON, nullable=False),
    PrimaryKeyConstraint("campaign_id", "terms_version", name="pk_campaign_terms"),
)

# the figures a brand gave one partner, every change kept (a conversion is priced by the
# ones in force when it happened); ``figures`` null: the campaign's again
enrollment_figures = Table(
    "enrollment_figures", metadata,
    Column("enrollment_id", ID, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("effective_from", UTCDateTime(), nullable=False),
    Column("figures", JSON, nullable=True),
    PrimaryKeyConstraint("enrollment_id", "revision", name="pk_enrollment_figures"),
)

# a link's previous codes: only a click the BFF already redirected on one resolves it
retired_codes = Table(
    "retired_codes", metadata,
    Column("referral_code", CODE, primary_key=True),
    Column("enrollment_id", ID, nullable=False),
    Column("retired_at", UTCDateTime(), nullable=False),
)

enrollments = Table(
    "enrollments", metadata,
    Column("id", ID, primary_key=True),
    Column("referral_code", CODE, nullable=False),
    Column("campaign_id", ID, nullable=False),
    Column("brand_id", ID, nullable=False),
    Column("partner_id", ID, nullable=False),
    Column("status", String(20), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ux_enrollments_referral_code", "referral_code", unique=True),
)

partners = Table(
    "partners", metadata,
    Column("id", ID, primary_key=True),
    Column("email", String(320), nullable=False),
    Column("status", String(20), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

partner_ips = Table(
    "partner_ips", metadata,
    Column("partner_id", ID, nullable=False),
    Column("ip", IP, nullable=False),
    Column("first_seen_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("partner_id", "ip", name="pk_partner_ips"),
)

replica_generations = Table(
    "replica_generations", metadata,
    Column("name", String(32), primary_key=True),  # "targets" or "partner_ips"
    Column("generation", BigInteger, nullable=False),
)

# --- clicks -------------------------------------------------------------------------------
clicks = Table(
    "clicks", metadata,
    Column("id", ID, primary_key=True),
    Column("referral_code", CODE, nullable=False),
    Column("enrollment_id", ID, nullable=False),
    Column("campaign_id", ID, nullable=False),
    Column("brand_id", ID, nullable=False),
    Column("partner_id", ID, nullable=False),
    Column("ip", IP, nullable=False),
    Column("user_agent", Text, nullable=False),
    Column("landing_url", Text, nullable=True),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("reason", String(30), nullable=True),          # NULL: attributable
    Column("terms_version", Integer, nullable=True),
    Column("billable", Boolean, nullable=False),
    Column("cpc_batch_id", ID, nullable=True),            # the clicks_attributed batch
    # last click of a visitor (brand + IP) before a conversion
    Index("ix_clicks_brand_ip_time", "brand_id", "ip", "occurred_at"),
    # billable clicks not yet batched
    Index("ix_clicks_unbilled", "billable", "cpc_batch_id"),
)

# clicks the BFF redirected on a code not replicated here yet: recorded when it arrives
parked_clicks = Table(
    "parked_clicks", metadata,
    Column("id", ID, primary_key=True),
    Column("referral_code", CODE, nullable=False),
    Column("ip", IP, nullable=False),
    Column("user_agent", Text, nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("parked_at", UTCDateTime(), nullable=False),
    Column("landing_url", Text, nullable=True),           # a deep link's page
    Index("ix_parked_clicks_referral_code", "referral_code"),
)

click_counters = Table(
    "click_counters", metadata,
    Column("referral_code", CODE, nullable=False),
    Column("ip", IP, nullable=False),
    Column("minute", UTCDateTime(), nullable=False),
    Column("clicks", Integer, nullable=False),
    # minute first: live traffic writes at the end of the index; purges cut its head
    PrimaryKeyConstraint("minute", "referral_code", "ip", name="pk_click_counters"),
)

# --- conversions --------------------------------------------------------------------------
conversions = Table(
    "conversions", metadata,
    Column("id", ID, primary_key=True),
    Column("brand_id", ID, nullable=False),
    Column("order_id", String(100), nullable=False),
    Column("amount", DecimalType(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reason", String(30), nullable=True),
    Column("partner_id", ID, nullable=True),
    Column("campaign_id", ID, nullable=True),
    Column("enrollment_id", ID, nullable=True),
    Column("referral_code", CODE, nullable=True),
    Column("click_id", ID, nullable=True),
    Column("terms_version", Integer, nullable=True),
    Column("terms", JSON, nullable=True),
    Column("customer_ip", IP, nullable=True),
    Column("customer_id", String(320), nullable=True),
    Column("attribution", String(8), nullable=True),  # click, code, customer; None if not
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("reversed_amount", DecimalType(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ux_conversions_brand_order", "brand_id", "order_id", unique=True),
    Index("ix_conversions_brand_time", "brand_id", "occurred_at"),
    Index("ix_conversions_campaign_time", "campaign_id", "occurred_at"),
    Index("ix_conversions_partner_time", "partner_id", "occurred_at"),
    # a referred customer's first attributed order (only orders naming their customer)
    Index("ix_conversions_brand_customer", "brand_id", "customer_id", "occurred_at",
          sqlite_where=text("customer_id IS NOT NULL"),
          postgresql_where=text("customer_id IS NOT NULL")),
)

conversion_refunds = Table(
    "conversion_refunds", metadata,
    Column("conversion_id", ID, nullable=False),
    Column("refund_id", String(100), nullable=False),
    Column("amount", DecimalType(), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("conversion_id", "refund_id", name="pk_conversion_refunds"),
)


# --- stats read model ---------------------------------------------------------------------
def _counters() -> list[Column]:
    return [
        Column("day", Date, nullable=False),
        Column("clicks", Integer, nullable=False),
        Column("valid_clicks", Integer, nullable=False),
        Column("conversions", Integer, nullable=False),
        Column("rejected_conversions", Integer, nullable=False),
        # revenue = units + parts / 10**10, added exactly in SQL (infrastructure/revenue.py)
        Column("revenue_units", BigInteger, nullable=False, server_default="0"),
        Column("revenue_parts", BigInteger, nullable=False, server_default="0"),
    ]


campaign_daily_stats = Table(
    "campaign_daily_stats", metadata,
    Column("campaign_id", ID, nullable=False),
    *_counters(),
    PrimaryKeyConstraint("campaign_id", "day", name="pk_campaign_daily_stats"),
)

partner_daily_stats = Table(
    "partner_daily_stats", metadata,
    Column("partner_id", ID, nullable=False),
    Column("campaign_id", ID, nullable=False),
    *_counters(),
    Column("revision", Integer, nullable=False, server_default="1"),  # +1 per change
    # changed since the last stats_changed batch (the timer clears it as it publishes)
    Column("changed", Boolean, nullable=False, server_default=text("true")),
    PrimaryKeyConstraint("partner_id", "campaign_id", "day", name="pk_partner_daily_stats"),
    Index("ix_partner_daily_stats_changed", "changed", sqlite_where=text("changed = 1"),
          postgresql_where=text("changed")),
)

outbox_messages, inbox_messages = add_messaging_tables(metadata)


class Base(DeclarativeBase):
    """The database's declarative base: nameko-sqlalchemy's ``Database`` provider keys the
    URI by its name (``DB_URIS["tracking:Base"]``)."""

    metadata = metadata
