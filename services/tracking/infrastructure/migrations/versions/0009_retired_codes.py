"""codes a link had before its partner or brand chose another (``retired_codes``)

A click the BFF redirected on a link's previous code (an instance that had not heard of
the change yet) is still recorded against its link; nothing else resolves such a code.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

from common.seedwork.infrastructure.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "retired_codes",
        sa.Column("referral_code", sa.String(64), primary_key=True),
        sa.Column("enrollment_id", sa.String(36), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=False))


def downgrade():
    op.drop_table("retired_codes")
