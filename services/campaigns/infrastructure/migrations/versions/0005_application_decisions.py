"""the brand may say why it declines an application (``enrollments.decline_reason``)

Applications declined before it were declined without a word: theirs stays empty. The
new WITHDRAWN status needs no change (``status`` is a string wide enough).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("enrollments") as batch:
        batch.add_column(sa.Column("decline_reason", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("enrollments") as batch:
        batch.drop_column("decline_reason")
