"""a brand's bonus: a commission under no terms (``model`` null) with the brand's ``note``

Commissions before it paid a conversion or a click batch: their model stays, their note
stays empty.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("commissions") as batch:
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch.alter_column("model", existing_type=sa.String(3), nullable=True)


def downgrade():
    bonuses = op.get_bind().execute(
        sa.text("SELECT COUNT(*) FROM commissions WHERE model IS NULL")).scalar()
    if bonuses:  # money owed: never dropped by a schema change
        raise RuntimeError(f"{bonuses} bonus commissions exist: 0004 cannot be undone.")
    with op.batch_alter_table("commissions") as batch:
        batch.alter_column("model", existing_type=sa.String(3), nullable=False)
        batch.drop_column("note")
