"""a parked click keeps the page a deep link sent its visitor to

The BFF's ``clicks_captured`` carries, for a deep link (``/r/<code>?to=...``), the page
the visitor landed on; a click parked until its enrollment reaches tracking must keep it
for the click it becomes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("parked_clicks") as table:
        table.add_column(sa.Column("landing_url", sa.Text, nullable=True))


def downgrade():
    with op.batch_alter_table("parked_clicks") as table:
        table.drop_column("landing_url")
