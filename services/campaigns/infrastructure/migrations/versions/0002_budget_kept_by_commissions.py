"""campaign budgets are promised by commissions: no reservations here any more

Commissions now keeps what each campaign's commissions owe, in the transaction that
records them (no budget call per commission on the event chain). Campaigns keeps the
budget the brand set and whether commissions last reported it used up
(``budget_exhausted``); the reservation tables and the reserved total go.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

from common.seedwork.infrastructure.types import DecimalType, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table("budget_releases")
    op.drop_index("ix_budget_reservations_campaign", table_name="budget_reservations")
    op.drop_table("budget_reservations")
    with op.batch_alter_table("campaigns") as batch:  # SQLite rebuilds the table
        batch.drop_column("reserved_amount")


def downgrade():
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("reserved_amount", DecimalType(), nullable=False,
                                   server_default="0"))
    op.create_table(
        "budget_reservations",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("campaign_id", sa.String(36),
                  sa.ForeignKey("campaigns.id", name="fk_reservations_campaign"),
                  nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", DecimalType(), nullable=False),
        sa.Column("released_amount", DecimalType(), nullable=False),
        sa.Column("remaining_after", DecimalType(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_budget_reservations_campaign", "budget_reservations",
                    ["campaign_id"])
    op.create_table(
        "budget_releases",
        sa.Column("reservation_id", sa.String(100),
                  sa.ForeignKey("budget_reservations.id", name="fk_releases_reservation"),
                  nullable=False),
        sa.Column("release_id", sa.String(100), nullable=False),
        sa.Column("amount", DecimalType(), nullable=False),
        sa.Column("reserved_after", DecimalType(), nullable=False),
        sa.Column("remaining_after", DecimalType(), nullable=False),
        sa.Column("released_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("reservation_id", "release_id", name="pk_budget_releases"),
    )
