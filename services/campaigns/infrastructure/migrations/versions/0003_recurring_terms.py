"""terms may pay recurring commissions: ``recurring_months`` per terms version

Null for every version before it (none of them paid a referred customer's later
orders), so no version changes meaning.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("campaign_terms") as batch:
        batch.add_column(sa.Column("recurring_months", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("campaign_terms") as batch:
        batch.drop_column("recurring_months")
