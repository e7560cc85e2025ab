"""the leased deliveries indexed per endpoint

The bound on attempts at once per endpoint now holds over every instance: the lease
transaction counts each endpoint's live leases. This partial index holds only leased
rows (the lease ends with each attempt), so the count reads a handful of rows however
long the history.

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

LEASED = "lease_until IS NOT NULL"


def upgrade():
    op.create_index("ix_deliveries_leased", "deliveries", ["endpoint_id", "lease_until"],
                    sqlite_where=sa.text(LEASED), postgresql_where=sa.text(LEASED))


def downgrade():
    op.drop_index("ix_deliveries_leased", table_name="deliveries")
