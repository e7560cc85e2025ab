"""the daily stats' revenue as two integers (whole units, 10⁻¹⁰ parts) added in SQL

A conversion used to read each stats row's decimal revenue back and write the new total
(SQLite would have summed the text as a float): two statements more per conversion.
Integers are added exactly by both databases, in the upsert that bumps the counters.
The existing revenue is carried over exactly (infrastructure/revenue.py says how it is
split); downgrading joins it back.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

from common.seedwork.infrastructure.types import DecimalType
from services.tracking.infrastructure.revenue import joined, split

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

KEYS = {"campaign_daily_stats": ("campaign_id", "day"),
        "partner_daily_stats": ("partner_id", "campaign_id", "day")}


def upgrade():
    for table_name, key in KEYS.items():
        with op.batch_alter_table(table_name) as table:
            table.add_column(sa.Column("revenue_units", sa.BigInteger, nullable=False,
                                       server_default="0"))
            table.add_column(sa.Column("revenue_parts", sa.BigInteger, nullable=False,
                                       server_default="0"))
        _carry(table_name, key, ("revenue",), ("revenue_units", "revenue_parts"),
               lambda revenue: split(Decimal(revenue)))
        with op.batch_alter_table(table_name) as table:
            table.drop_column("revenue")


def downgrade():
    for table_name, key in KEYS.items():
        with op.batch_alter_table(table_name) as table:
            table.add_column(sa.Column("revenue", DecimalType(), nullable=False,
                                       server_default="0"))
        _carry(table_name, key, ("revenue_units", "revenue_parts"), ("revenue",),
               lambda units, parts: (joined(units, parts),))
        with op.batch_alter_table(table_name) as table:
            table.alter_column("revenue", server_default=None)
            table.drop_column("revenue_parts")
            table.drop_column("revenue_units")


def _carry(table_name: str, key: tuple[str, ...], sources: tuple[str, ...],
           targets: tuple[str, ...], convert) -> None:
    """Rewrite every row's ``targets`` from its ``sources`` (converted in Python, exact)."""
    types = {"revenue": DecimalType(), "revenue_units": sa.BigInteger(),
             "revenue_parts": sa.BigInteger()}
    table = sa.table(table_name, *(sa.column(name) for name in key),
                     *(sa.column(name, types[name]) for name in sources + targets))
    connection = op.get_bind()
    rows = connection.execute(sa.select(*(table.c[name] for name in key + sources))).all()
    if not rows:
        return
    statement = table.update().where(*(
        table.c[name] == sa.bindparam(f"key_{name}") for name in key)).values(
        {name: sa.bindparam(f"new_{name}") for name in targets})
    connection.execute(statement, [
        {**{f"key_{name}": value for name, value in zip(key, row[:len(key)], strict=True)},
         **dict(zip((f"new_{name}" for name in targets), convert(*row[len(key):]),
                    strict=True))}
        for row in rows])
