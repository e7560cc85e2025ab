"""partner accounts remember when partners was seen to have their partner

Sign-up makes the account before partners registers the partner; a sign-up cut short
and never finished left an account holding its email for a partner that never existed.
The housekeeping sweep now asks partners about partner accounts unchanged for a while
and still awaiting their partner: withdrawn when partners has no such partner,
``partner_confirmed_at`` stamped when it has. Accounts made before this revision start
unconfirmed, so each is asked about once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

from common.seedwork.infrastructure.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

AWAITING = "role = 'partner' AND partner_confirmed_at IS NULL"


def upgrade():
    with op.batch_alter_table("accounts") as table:
        table.add_column(sa.Column("partner_confirmed_at", UTCDateTime(), nullable=True))
    op.create_index("ix_accounts_awaiting_partner", "accounts", ["updated_at"],
                    sqlite_where=sa.text(AWAITING), postgresql_where=sa.text(AWAITING))


def downgrade():
    op.drop_index("ix_accounts_awaiting_partner", table_name="accounts")
    with op.batch_alter_table("accounts") as table:
        table.drop_column("partner_confirmed_at")
