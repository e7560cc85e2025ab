"""password resets issued by operators (a token digest each, used once)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

from common.seedwork.infrastructure.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "password_resets",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("token_digest", sa.String(64), nullable=False),
        sa.Column("issued_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ux_password_resets_token", "password_resets", ["token_digest"],
                    unique=True)
    op.create_index("ix_password_resets_account", "password_resets", ["account_id"])


def downgrade():
    op.drop_table("password_resets")
