"""SQLAlchemy tables of the identity database (must match the migrations; a test checks).

Secrets are never stored: ``password_hash`` is argon2id (salted, slow); sessions, CSRF
tokens, API keys and invitations are kept as SHA-256 digests of 256-bit random values.
"""
from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, func, text
from sqlalchemy.orm import DeclarativeBase

from common.seedwork.infrastructure.messaging import add_messaging_tables
from common.seedwork.infrastructure.types import UTCDateTime

metadata = MetaData()
_AWAITING_PARTNER = text("role = 'partner' AND partner_confirmed_at IS NULL")  # both dialects

accounts = Table(
    "accounts", metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("role", String(10), nullable=False),
    Column("partner_id", String(36), nullable=True),
    Column("brand_id", String(36), nullable=True),
    Column("brand_role", String(10), nullable=True),
    Column("password_hash", String(255), nullable=False),
    Column("status", String(10), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("removed_at", UTCDateTime(), nullable=True),
    Column("partner_confirmed_at", UTCDateTime(), nullable=True),  # partners has it
    Column("version", Integer, nullable=False),
    Index("ux_accounts_email_ci", func.lower("email"), unique=True),
    Index("ux_accounts_partner", "partner_id", unique=True),
    Index("ix_accounts_brand", "brand_id"),
    # partner accounts awaiting their partner, oldest change first (the sign-up sweep)
    Index("ix_accounts_awaiting_partner", "updated_at", sqlite_where=_AWAITING_PARTNER,
          postgresql_where=_AWAITING_PARTNER),
)

sessions = Table(
    "sessions", metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("token_digest", String(64), nullable=False),
    Column("csrf_digest", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("ip", String(64), nullable=True),
    Column("user_agent", String(500), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("revoked_reason", String(20), nullable=True),
    Column("version", Integer, nullable=False),
    Index("ux_sessions_token", "token_digest", unique=True),
    Index("ix_sessions_account", "account_id"),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", String(36), primary_key=True),
    Column("brand_id", String(36), nullable=False),
    Column("name", String(100), nullable=False),
    Column("prefix", String(32), nullable=False),
    Column("secret_digest", String(64), nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_used_at", UTCDateTime(), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("revoked_by", String(100), nullable=True),
    Column("version", Integer, nullable=False),
    Index("ux_api_keys_secret", "secret_digest", unique=True),
    Index("ix_api_keys_brand", "brand_id", "created_at"),
)

invitations = Table(
    "invitations", metadata,
    Column("id", String(36), primary_key=True),
    Column("brand_id", String(36), nullable=False),
    Column("email", String(320), nullable=False),
    Column("brand_role", String(10), nullable=False),
    Column("token_digest", String(64), nullable=False),
    Column("invited_by", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("accepted_at", UTCDateTime(), nullable=True),
    Column("account_id", String(36), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("version", Integer, nullable=False),
    Index("ux_invitations_token", "token_digest", unique=True),
    Index("ix_invitations_brand", "brand_id", "created_at"),
)

password_resets = Table(
    "password_resets", metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("token_digest", String(64), nullable=False),
    Column("issued_by", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime(), nullable=True),
    Column("version", Integer, nullable=False),
    Index("ux_password_resets_token", "token_digest", unique=True),
    Index("ix_password_resets_account", "account_id"),
)

login_throttles = Table(
    "login_throttles", metadata,
    Column("key", String(100), primary_key=True),  # email:<digest> or ip:<address>
    Column("failures", Integer, nullable=False),
    Column("window_started_at", UTCDateTime(), nullable=True),
    Column("locked_until", UTCDateTime(), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
)

outbox_messages, inbox_messages = add_messaging_tables(metadata)


class Base(DeclarativeBase):
    """The database's declarative base (``DB_URIS["identity:Base"]``)."""

    metadata = metadata
