"""a partner's own commission, as its brand set it (``enrollment_figures``)

Every change is kept by the enrollment's revision: a conversion is priced with the
figures in force when it happened. Enrollments before it have none (the campaign's).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

from common.seedwork.infrastructure.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "enrollment_figures",
        sa.Column("enrollment_id", sa.String(36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("effective_from", UTCDateTime(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("enrollment_id", "revision", name="pk_enrollment_figures"))


def downgrade():
    op.drop_table("enrollment_figures")
