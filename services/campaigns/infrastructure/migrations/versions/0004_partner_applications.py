"""campaigns may review their partners: ``admission`` per campaign, applications kept as
enrollments (``applied_at``, ``application_note``)

Every campaign before it admitted partners at once (``open``), and every enrollment was
one made at once (no application): both stay what they were.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

from common.seedwork.infrastructure.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("admission", sa.String(10), nullable=False,
                                   server_default="open"))
    with op.batch_alter_table("enrollments") as batch:
        batch.add_column(sa.Column("applied_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("application_note", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("enrollments") as batch:
        batch.drop_column("application_note")
        batch.drop_column("applied_at")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("admission")
