"""invitations may be revoked before they are accepted

A brand owner who invited a mistyped email could only wait 7 days for the link to
expire. ``revoked_at`` set: the link no longer works and the invitation is no longer
listed as pending.

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
    with op.batch_alter_table("invitations") as table:
        table.add_column(sa.Column("revoked_at", UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("invitations") as table:
        table.drop_column("revoked_at")
