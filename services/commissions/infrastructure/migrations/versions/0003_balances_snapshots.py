"""partner ledgers and campaign budgets leave as balances_changed batches: a changed flag

Every change of a ``ledgers`` or ``campaign_budgets`` row marks it ``changed``; a timer
publishes the marked rows in batches (each with its ``version`` as revision) and clears
the mark. The rows that exist already start marked, so the first batches hand the
balances to the read models (the BFF's dashboards) once.

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

TABLES = ("ledgers", "campaign_budgets")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("changed", sa.Boolean, nullable=False,
                                       server_default=sa.text("true")))
        op.create_index(f"ix_{table}_changed", table, ["changed"],
                        sqlite_where=sa.text("changed = 1"),
                        postgresql_where=sa.text("changed"))


def downgrade():
    for table in TABLES:
        op.drop_index(f"ix_{table}_changed", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("changed")
