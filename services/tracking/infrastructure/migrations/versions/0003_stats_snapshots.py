"""daily stats leave as stats_changed batches: each partner row's revision and changed flag

Every change of a ``partner_daily_stats`` row adds one to its ``revision`` and marks it
``changed``; a timer publishes the marked rows in batches and clears the mark. The rows
that exist already start marked, so the first batches hand the history to the read
models (the BFF's dashboards) once.

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
    with op.batch_alter_table("partner_daily_stats") as table:
        table.add_column(sa.Column("revision", sa.Integer, nullable=False, server_default="1"))
        table.add_column(sa.Column("changed", sa.Boolean, nullable=False,
                                   server_default=sa.text("true")))
    op.create_index("ix_partner_daily_stats_changed", "partner_daily_stats", ["changed"],
                    sqlite_where=sa.text("changed = 1"),
                    postgresql_where=sa.text("changed"))


def downgrade():
    op.drop_index("ix_partner_daily_stats_changed", table_name="partner_daily_stats")
    with op.batch_alter_table("partner_daily_stats") as table:
        table.drop_column("changed")
        table.drop_column("revision")
