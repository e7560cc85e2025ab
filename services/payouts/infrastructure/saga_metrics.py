"""The payout saga's gauges (``alpes_payout_sagas``, ``..._oldest_step_age_seconds``).

Refreshed by the service's ``Observability`` every ``METRICS.refresh_seconds``: one
grouped query over the payouts under way (``ix_payouts_status``), never the finished
ones. A payout whose ``updated_at`` stops moving in an active state is a saga stuck in
a step (the PaymentSagaStuck alert in docker/prometheus/alerts.yml).
"""
from __future__ import annotations

from sqlalchemy import func, select

from common.nameko.business import PAYOUT_SAGA_OLDEST_AGE, PAYOUT_SAGAS
from common.seedwork.domain.clock import utcnow
from services.payouts.domain.payout import ACTIVE
from services.payouts.infrastructure.tables import payouts

STATES = tuple(status.value for status in ACTIVE)
_BY_STATE = (select(payouts.c.status, func.count(), func.min(payouts.c.updated_at))
             .where(payouts.c.status.in_(STATES)).group_by(payouts.c.status))


def saga_states(database) -> None:
    with database.reader() as conn:
        rows = {status: (count, oldest) for status, count, oldest in conn.execute(_BY_STATE)}
    now = utcnow()
    for state in STATES:
        count, oldest = rows.get(state, (0, None))
        PAYOUT_SAGAS.labels(state).set(count)
        PAYOUT_SAGA_OLDEST_AGE.labels(state).set(
            max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0)
