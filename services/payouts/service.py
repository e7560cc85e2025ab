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
from decimal import Decimal

from nameko.dependency_providers import Config

from common.contracts import partners
from common.nameko import faults, health
from common.nameko.events import event_handler
from common.nameko.rpc import RpcClient, api
from common.nameko.timers import timer
from common.seedwork.domain.clock import utcnow
from common.validation import load
from services.payouts import schemas
from services.payouts.application import commands, inbound, queries
from services.payouts.application.handlers import HANDLERS
from services.payouts.application.integration_events import TRANSLATOR
from services.payouts.infrastructure.bus import PayoutsBusProvider
from services.payouts.infrastructure.commissions_ledger import CommissionsLedgerClient
from services.payouts.infrastructure.repositories import REPOSITORIES

SETTINGS = "PAYOUTS"
RUNNER_ID = f"payouts@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def message_bus(clock=utcnow) -> PayoutsBusProvider:
    """The bus, with the clock the use cases read (tests pass their own)."""
    return PayoutsBusProvider(handlers=HANDLERS, repositories=REPOSITORIES,
                              translator=TRANSLATOR,
                              dependencies={"clock": clock, "crash_point": faults.crash_if})


class PayoutsService(health.HealthMixin):
    name = "payouts"

    bus = message_bus()
    rpc = RpcClient()
    config = Config()

    # payouts -----------------------------------------------------------------------------
    @api
    def run_payouts(self, payload):
        data = load(schemas.RunPayoutsSchema(), payload)
        if data["min_amount"] is None:
            data["min_amount"] = self._default_min_amount(data["currency"])
        return self._handle(commands.RunPayouts(**data))

    @api
    def retry_payout(self, payout_id):
        data = load(schemas.PayoutIdSchema(), {"payout_id": payout_id})
        self._handle(commands.RetryPayout(**data))
        return self.bus.query(queries.GetPayout(**data))

    @api
    def get_payout(self, payout_id):
        data = load(schemas.PayoutIdSchema(), {"payout_id": payout_id})
        return self.bus.query(queries.GetPayout(**data))

    @api
    def list_payouts(self, filters=None):
        data = load(schemas.ListPayoutsSchema(), filters or {})
        return self.bus.query(queries.ListPayouts(**data))

    @timer(SETTINGS, "saga_interval_seconds", default=1.0, eager=True)
    def drive_payout_sagas(self):
        settings = self.config.get(SETTINGS) or {}
        return self._handle(commands.DrivePayoutSagas(
            owner=RUNNER_ID, limit=int(settings.get("saga_batch_size", 50)),
            lease_seconds=float(settings.get("saga_lease_seconds", 30)),
            retry_delay_seconds=float(settings.get("saga_retry_delay_seconds", 5))))

    # partner replica (events from the partners service) ----------------------------------
    @event_handler(partners.PARTNER_REGISTERED)
    def on_partner_registered(self, event):
        self.bus.handle(inbound.follow_partner(event))

    @event_handler(partners.PARTNER_VERIFIED)
    def on_partner_verified(self, event):
        self.bus.handle(inbound.follow_partner(event))

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

    # helpers -----------------------------------------------------------------------------
    def _handle(self, command):
        """Run a command with this worker's ledger port (commissions over RPC)."""
        self.bus.dependencies["ledger"] = CommissionsLedgerClient(self.rpc.commissions)
        return self.bus.handle(command)

    def _default_min_amount(self, currency: str) -> Decimal:
        settings = self.config.get(SETTINGS) or {}
        thresholds = settings.get("min_amount_by_currency") or {}
        return Decimal(str(thresholds.get(currency, settings.get("min_amount", "50.00"))))
