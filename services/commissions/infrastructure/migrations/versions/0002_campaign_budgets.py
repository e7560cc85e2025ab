"""campaign budgets kept by commissions (no budget call to campaigns per commission)

Budgets are promised where commissions are decided: ``campaign_budgets`` follows each
campaign's budget and terms from campaigns' events and holds what commissions owe, so
the queue of releases sent to campaigns (``budget_releases``) has no use any more.

Existing campaigns get their row from their next campaign event; ``reserved`` starts
from what the commissions already recorded owe (see ``_reserved_so_far``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

from common.seedwork.infrastructure.types import DecimalType, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "campaign_budgets",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("brand_id", sa.String(36), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("total", DecimalType(), nullable=False),
        sa.Column("reserved", DecimalType(), nullable=False),
        sa.Column("smallest", DecimalType(), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("exhausted", sa.Boolean, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.drop_index("ix_budget_releases_due", table_name="budget_releases")
    op.drop_table("budget_releases")


def downgrade():
    op.create_table(
        "budget_releases",
        sa.Column("release_id", sa.String(36), primary_key=True),
        sa.Column("reservation_id", sa.String(36), nullable=False),
        sa.Column("amount", DecimalType(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("cause", sa.String(250), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_budget_releases_due", "budget_releases", ["status", "next_attempt_at"])
    op.drop_table("campaign_budgets")
