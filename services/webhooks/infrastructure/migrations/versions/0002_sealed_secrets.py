"""endpoint secrets wide enough to be stored sealed

A secret sealed with AES-GCM (``infrastructure/sealing.py``) takes about 130 characters
with its prefix, key id, nonce and tag: the two secret columns grow from 100 to 255.
The secrets already stored stay as they are (read as clear) until housekeeping seals
them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = (("secret", False), ("previous_secret", True))


def upgrade():
    with op.batch_alter_table("endpoints") as batch:
        for name, nullable in COLUMNS:
            batch.alter_column(name, type_=sa.String(255), existing_type=sa.String(100),
                               existing_nullable=nullable)


def downgrade():
    with op.batch_alter_table("endpoints") as batch:
        for name, nullable in COLUMNS:
            batch.alter_column(name, type_=sa.String(100), existing_type=sa.String(255),
                               existing_nullable=nullable)
