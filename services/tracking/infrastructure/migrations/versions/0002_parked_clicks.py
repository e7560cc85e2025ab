"""parked clicks: clicks the BFF redirected on a code tracking has not replicated yet

The BFF answers ``GET /r/<code>`` itself and hands the clicks over as ``clicks_captured``
messages. It can know a code (from ``partner_enrolled``, on its own broadcast queue) a
moment before tracking's replica does; such a click waits here, keyed by its id, until
the enrollment arrives, and is then recorded and screened at its own time.

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
        "parked_clicks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("referral_code", sa.String(64), nullable=False),
        sa.Column("ip", sa.String(45), nullable=False),
        sa.Column("user_agent", sa.Text, nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("parked_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_parked_clicks_referral_code", "parked_clicks", ["referral_code"])


def downgrade():
    op.drop_index("ix_parked_clicks_referral_code", table_name="parked_clicks")
    op.drop_table("parked_clicks")
