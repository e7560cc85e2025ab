"""the brand dashboard's applications waiting for review: every enrollment's status

Kept from ``enrollment_requested``, ``enrollment_declined`` and the enrollment events;
empty at first (no application was made before campaigns could review their partners).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.String(36)


def upgrade():
    op.create_table(
        "enrollment_states",
        sa.Column("enrollment_id", ID, primary_key=True),
        sa.Column("brand_id", ID, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
    )
    op.create_index("ix_enrollment_states_brand_status", "enrollment_states",
                    ["brand_id", "status"])


def downgrade():
    op.drop_index("ix_enrollment_states_brand_status", table_name="enrollment_states")
    op.drop_table("enrollment_states")
