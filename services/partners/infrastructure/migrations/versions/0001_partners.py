"""partners table, outbox and inbox

Revision ID: 0001
Revises:
Create Date: 2026-11-29
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
        "partners",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("kyc_status", sa.String(20), nullable=False),
        sa.Column("payout_method", sa.JSON, nullable=True),
        sa.Column("suspension_reason", sa.Text, nullable=True),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ux_partners_email_ci", "partners", [sa.text("lower(email)")], unique=True)
    op.create_index("ix_partners_status_type", "partners", ["status", "type"])
    create_messaging_tables_v1()


def downgrade():
    drop_messaging_tables_v1()
    op.drop_table("partners")
