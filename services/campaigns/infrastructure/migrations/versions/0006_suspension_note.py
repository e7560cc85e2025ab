"""the brand may say why it suspends a partner's link (``enrollments.suspension_note``)

Links suspended before it were suspended without a word: theirs stays empty.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("enrollments") as batch:
        batch.add_column(sa.Column("suspension_note", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("enrollments") as batch:
        batch.drop_column("suspension_note")
