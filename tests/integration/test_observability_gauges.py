"""The refreshed gauges' queries on SQLite and PostgreSQL: the outbox backlog and the age
of its oldest unpublished row; payouts under way by saga state and their oldest step."""
from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import MetaData, insert, update

from common.nameko.business import PAYOUT_SAGA_OLDEST_AGE, PAYOUT_SAGAS
from common.nameko.observability import outbox_state
from common.seedwork.application.integration import IntegrationEvent
from common.seedwork.domain.clock import utcnow
from common.seedwork.infrastructure.database import Database
from common.seedwork.infrastructure.messaging import OutboxStore, outbox_table
from services.payouts.infrastructure.saga_metrics import saga_states
from services.payouts.infrastructure.tables import payouts
from tests.support import migrated


def test_outbox_backlog_and_oldest_unpublished_row(make_db_uri, db_kind):
    database = Database(migrated("tracking", make_db_uri(db_kind, "tracking")))
    try:
        assert outbox_state(database) == (0, None)
        store = OutboxStore(outbox_table(MetaData()))
        events = [IntegrationEvent.new(source="tracking", type="conversion_attributed",
                                       version=1, payload={}) for _ in range(3)]
        with database.transaction() as conn:
            store.add(conn, events)
            conn.execute(update(store.table).where(store.table.c.event_id == events[0].event_id)
                         .values(created_at=utcnow() - timedelta(seconds=90)))
            store.mark_published(conn, [events[1].event_id])
        backlog, oldest = outbox_state(database)
        assert backlog == 2
        assert 85 <= (utcnow() - oldest).total_seconds() <= 120
    finally:
        database.dispose()


def test_payout_sagas_by_state_and_their_oldest_step(make_db_uri, db_kind):
    database = Database(migrated("payouts", make_db_uri(db_kind, "payouts")))
    now = utcnow()

    def payout(status: str, age_seconds: float) -> dict:
        return {"id": str(uuid.uuid4()), "partner_id": str(uuid.uuid4()), "currency": "USD",
                "cycle": "2026-12-06", "status": status, "min_amount": Decimal("10"),
                "payout_method": {}, "commission_ids": [], "adjustment_ids": [], "attempt": 1,
                "created_at": now - timedelta(seconds=age_seconds),
                "updated_at": now - timedelta(seconds=age_seconds), "version": 1}

    try:
        with database.transaction() as conn:
            conn.execute(insert(payouts), [payout("HELD", 400), payout("HELD", 10),
                                           payout("PENDING", 5), payout("PAID", 9999)])
        saga_states(database)
        assert PAYOUT_SAGAS.labels("HELD")._value.get() == 2
        assert PAYOUT_SAGAS.labels("PENDING")._value.get() == 1
        assert PAYOUT_SAGAS.labels("CONFIRMING")._value.get() == 0  # none: 0, not absent
        assert 395 <= PAYOUT_SAGA_OLDEST_AGE.labels("HELD")._value.get() <= 430
        assert PAYOUT_SAGA_OLDEST_AGE.labels("COMPENSATING")._value.get() == 0
    finally:
        database.dispose()
