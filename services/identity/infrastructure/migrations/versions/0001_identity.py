"""accounts, sessions, api keys, invitations, log-in throttles, outbox and inbox

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

from common.seedwork.infrastructure.migration_ops import (
    create_messaging_tables_v1,
    drop_messaging_tables_v1,
)
from common.seedwork.infrastructure.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("partner_id", sa.String(36), nullable=True),
        sa.Column("brand_id", sa.String(36), nullable=True),
        sa.Column("brand_role", sa.String(10), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ux_accounts_email_ci", "accounts", [sa.text("lower(email)")], unique=True)
    op.create_index("ux_accounts_partner", "accounts", ["partner_id"], unique=True)
    op.create_index("ix_accounts_brand", "accounts", ["brand_id"])
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("token_digest", sa.String(64), nullable=False),
        sa.Column("csrf_digest", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(500), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_reason", sa.String(20), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ux_sessions_token", "sessions", ["token_digest"], unique=True)
    op.create_index("ix_sessions_account", "sessions", ["account_id"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("brand_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(32), nullable=False),
        sa.Column("secret_digest", sa.String(64), nullable=False),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(100), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ux_api_keys_secret", "api_keys", ["secret_digest"], unique=True)
    op.create_index("ix_api_keys_brand", "api_keys", ["brand_id", "created_at"])
    op.create_table(
        "invitations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("brand_id", sa.String(36), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("brand_role", sa.String(10), nullable=False),
        sa.Column("token_digest", sa.String(64), nullable=False),
        sa.Column("invited_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("accepted_at", UTCDateTime(), nullable=True),
        sa.Column("account_id", sa.String(36), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ux_invitations_token", "invitations", ["token_digest"], unique=True)
    op.create_index("ix_invitations_brand", "invitations", ["brand_id", "created_at"])
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("window_started_at", UTCDateTime(), nullable=True),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    create_messaging_tables_v1()


def downgrade():
    drop_messaging_tables_v1()
    for table in ("login_throttles", "invitations", "api_keys", "sessions", "accounts"):
        op.drop_table(table)
