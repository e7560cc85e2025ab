"""the brand dashboard's top partners: partners' daily stats found by campaign and day

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_partner_stats_campaign_day", "partner_stats", ["campaign_id", "day"])


def downgrade():
    op.drop_index("ix_partner_stats_campaign_day", table_name="partner_stats")
