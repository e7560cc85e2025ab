"""a brand may pay one partner its own figures (``enrollments.commission``, ``_since``)

Enrollments before it are paid the campaign's figures: theirs stays empty.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

from common.seedwork.infrastructure.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("enrollments") as batch:
        batch.add_column(sa.Column("commission", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("commission_since", UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("enrollments") as batch:
        batch.drop_column("commission_since")
        batch.drop_column("commission")
