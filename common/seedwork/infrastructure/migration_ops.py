"""Migration operations for the seedwork's own tables, frozen per version.

Services call these from their own Alembic revisions; a later change to the messaging
tables gets a new function here and a new revision in each service.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from common.seedwork.infrastructure.messaging import POSITION
from common.seedwork.infrastructure.types import UTCDateTime


def create_messaging_tables_v1() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("position", POSITION, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("source", sa.String(50), nullable=False),
        sa.Column("message", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("publish_attempts", sa.Integer, nullable=False),
        sa.Column("locked_by", sa.String(64), nullable=True),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_outbox_unpublished", "outbox_messages", ["published_at", "position"])
    op.create_table(
        "inbox_messages",
        sa.Column("consumer", sa.String(150), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox_messages"),
    )
    op.create_index("ix_inbox_processed_at", "inbox_messages", ["processed_at"])


def drop_messaging_tables_v1() -> None:
    op.drop_table("inbox_messages")
    op.drop_table("outbox_messages")
