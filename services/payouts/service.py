"""The ``payouts`` Nameko service: pays partners their approved commissions, one
orchestrated saga per partner, currency and cycle.

``run_payouts`` starts the payouts; a timer (eager: also at start-up, which resumes what
a crash left) drives every active saga: hold (commissions) -> pay (PSP) -> confirm
(commissions), or compensate (release) when the PSP declines. Partners' status and
payout method come from their events (a local replica).
"""
from __future__ import annotations

import os
import socket
import uuid

from common.contracts import partners
from common.nameko import health
from common.nameko.bus import MessageBusProvider
from common.nameko.config import settings_from
from common.nameko.database import ServiceDatabase
from common.nameko.events import event_handler
from common.nameko.observability import Observability
from common.nameko.rpc import RpcClient, api
from common.nameko.timers import timer
from common.seedwork.domain.clock import utcnow
from common.validation import load
from services.payouts import schemas
from services.payouts.application import commands, inbound, queries
from services.payouts.application.handlers import HANDLERS
from services.payouts.application.integration_events import TRANSLATOR
from services.payouts.application.settings import SECTION, PayoutsSettings
from services.payouts.infrastructure.commissions_ledger import CommissionsLedgerClient
from services.payouts.infrastructure.psp import build_psp
from services.payouts.infrastructure.saga_metrics import saga_states
from services.payouts.infrastructure.tables import Base
from services.payouts.infrastructure.unit_of_work import SqlPayoutsUnitOfWork

RUNNER_ID = f"payouts@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def message_bus(clock=utcnow) -> MessageBusProvider:
    """The bus, with the clock the use cases read (tests pass their own). The payment
    provider is built once from ``PAYOUTS.psp`` over the service's database (the simulated
    PSP keeps its records there); the ledger is commissions over the worker's RPC client."""
    return MessageBusProvider(
        handlers=HANDLERS, unit_of_work=SqlPayoutsUnitOfWork, translator=TRANSLATOR,
        settings=settings_from(SECTION, PayoutsSettings), clock=clock,
        shared={"psp": lambda wiring: build_psp(wiring.settings.psp, wiring.database)},
        per_worker={"ledger": lambda service: CommissionsLedgerClient(service.rpc.commissions)})


class PayoutsService(health.HealthMixin):
    name = "payouts"

    db = ServiceDatabase(Base)
    bus = message_bus()
    rpc = RpcClient()
    observability = Observability(gauges=[saga_states])  # + the saga's gauges

    # payouts -----------------------------------------------------------------------------
    @api
    def run_payouts(self, payload):
        data = load(schemas.RunPayoutsSchema, payload)
        if data["min_amount"] is None:
            data["min_amount"] = self.bus.settings.threshold(data["currency"])
        return self.bus.handle(commands.RunPayouts(**data))

    @api
    def retry_payout(self, payout_id):
        data = load(schemas.PayoutIdSchema, {"payout_id": payout_id})
        self.bus.handle(commands.RetryPayout(**data))
        return self.bus.query(queries.GetPayout(**data))

    @api
    def get_payout(self, payout_id):
        data = load(schemas.PayoutIdSchema, {"payout_id": payout_id})
        return self.bus.query(queries.GetPayout(**data))

    @api
    def list_payouts(self, filters=None):
        data = load(schemas.ListPayoutsSchema, filters or {})
        return self.bus.query(queries.ListPayouts(**data))

    @timer(SECTION, "saga_interval_seconds", default=1.0, eager=True)
    def drive_payout_sagas(self):
        settings = self.bus.settings
        return self.bus.handle(commands.DrivePayoutSagas(
            owner=RUNNER_ID, limit=settings.saga_batch_size,
            lease_seconds=settings.saga_lease.total_seconds(),
            retry_delay_seconds=settings.saga_retry_delay.total_seconds()))

    # payee replica (partners' events, from activation on: a PENDING partner has nothing
    # to be paid, and its activation snapshot carries its payout method) -----------------
    @event_handler(partners.PARTNER_ACTIVATED)
    def on_partner_activated(self, event):
        self.bus.handle(inbound.follow_partner(event))

    @event_handler(partners.PARTNER_SUSPENDED)
    def on_partner_suspended(self, event):
        self.bus.handle(inbound.follow_partner(event))

    @event_handler(partners.PARTNER_REACTIVATED)
    def on_partner_reactivated(self, event):
        self.bus.handle(inbound.follow_partner(event))

    @event_handler(partners.PARTNER_PAYOUT_METHOD_CHANGED)
    def on_partner_payout_method_changed(self, event):
        self.bus.handle(inbound.follow_partner(event))
