"""at most one payout under way per partner and currency, whatever the cycle

A partial unique index over the payouts under way (PENDING, HELD, CONFIRMING,
COMPENSATING): concurrent runs of different cycles can no longer both start a payout for
the same partner (the second one could only end SKIPPED). A database that already holds
two such payouts is refused with their ids: let their sagas end (the later one ends
SKIPPED) under the previous release, then migrate.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UNDER_WAY = "status IN ('PENDING', 'HELD', 'CONFIRMING', 'COMPENSATING')"


def upgrade():
    _refuse_payouts_under_way_twice()
    op.create_index("ux_payouts_partner_under_way", "payouts", ["partner_id", "currency"],
                    unique=True, sqlite_where=sa.text(UNDER_WAY),
                    postgresql_where=sa.text(UNDER_WAY))


def downgrade():
    op.drop_index("ux_payouts_partner_under_way", table_name="payouts")


def _refuse_payouts_under_way_twice():
    clashes = op.get_bind().execute(sa.text(
        f"SELECT partner_id, currency, COUNT(*) FROM payouts WHERE {UNDER_WAY} "
        "GROUP BY partner_id, currency HAVING COUNT(*) > 1")).all()
    if clashes:
        listed = ", ".join(f"{partner} {currency} ({count})"
                           for partner, currency, count in clashes)
        raise RuntimeError(f"Partners with more than one payout under way: {listed}. Let "
                           "their sagas end under the previous release, then migrate again.")
