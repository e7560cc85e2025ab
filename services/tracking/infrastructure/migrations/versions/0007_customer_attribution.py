"""a conversion says what credited it; referred customers are found by their orders

``attribution``: ``click``, ``code`` or ``customer`` (a referred customer's renewal,
neither click nor code); filled in for the conversions recorded before it from what
they carry (a click id: the click; else a code: the code alone). The partial index
finds a customer's first attributed order with a brand.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("conversions") as table:
        table.add_column(sa.Column("attribution", sa.String(8), nullable=True))
    op.execute("UPDATE conversions SET attribution = CASE"
               " WHEN click_id IS NOT NULL THEN 'click'"
               " WHEN referral_code IS NOT NULL THEN 'code' END"
               " WHERE status <> 'UNATTRIBUTED'")
    op.create_index("ix_conversions_brand_customer", "conversions",
                    ["brand_id", "customer_id", "occurred_at"],
                    sqlite_where=sa.text("customer_id IS NOT NULL"),
                    postgresql_where=sa.text("customer_id IS NOT NULL"))


def downgrade():
    op.drop_index("ix_conversions_brand_customer", table_name="conversions")
    with op.batch_alter_table("conversions") as table:
        table.drop_column("attribution")
