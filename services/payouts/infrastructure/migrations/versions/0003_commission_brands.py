"""each held commission's brand, kept with the payout

The payout's events name whose commission each one is (``commission_brands``), so that
webhooks can send a payout to the brands whose commissions it pays without keeping a
replica of every commission. NULL for a payout held before: its events go out without
the field, as before.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("payouts") as batch:
        batch.add_column(sa.Column("commission_brands", sa.JSON, nullable=True))


def downgrade():
    with op.batch_alter_table("payouts") as batch:
        batch.drop_column("commission_brands")
