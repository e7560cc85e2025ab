"""replica generations: a counter per kind of replica, raised by every write to it

The service keeps what its replicas said (referral targets, partners' IPs) in memory and
trusts it while the kind's generation is the one it was read under; so a conversion no
longer reads the same enrollment, campaign, terms and IPs again on every call. A missing
row reads as generation 0; the first write inserts it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "replica_generations",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("generation", sa.BigInteger, nullable=False),
    )


def downgrade():
    op.drop_table("replica_generations")
