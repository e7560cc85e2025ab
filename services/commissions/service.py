"""The ``commissions`` Nameko service: prices attributed conversions and clicks, keeps
each partner's ledger, and holds/confirms/releases commissions for the payout saga.

Each RPC validates its payload, hands a command or query to the bus, returns a DTO.
Events from tracking arrive through the reliable ``event_handler`` (retries, dead
letters, inbox); two timers approve commissions whose hold is over and retry budget
releases campaigns has not acknowledged.
"""
from __future__ import annotations

from nameko.dependency_providers import Config

from common.contracts import tracking
from common.nameko import health
from common.nameko.bus import MessageBusProvider
from common.nameko.events import event_handler
from common.nameko.rpc import RpcClient, api
from common.nameko.timers import timer
from common.seedwork.domain.clock import utcnow
from common.validation import load
from services.commissions import schemas
from services.commissions.application import commands, inbound, queries
from services.commissions.application.handlers import HANDLERS
from services.commissions.application.integration_events import TRANSLATOR
from services.commissions.infrastructure.budget import CampaignsBudget
from services.commissions.infrastructure.repositories import REPOSITORIES

SETTINGS = "COMMISSIONS"


def message_bus(clock=utcnow) -> MessageBusProvider:
    """The bus, with the clock the use cases read (tests pass their own)."""
    return MessageBusProvider(handlers=HANDLERS, repositories=REPOSITORIES,
                              translator=TRANSLATOR, dependencies={"clock": clock})


class CommissionsService(health.HealthMixin):
    name = "commissions"

    bus = message_bus()
    rpc = RpcClient()
    config = Config()

    # events from tracking ----------------------------------------------------------------
    @event_handler(tracking.CONVERSION_ATTRIBUTED)
    def on_conversion_attributed(self, event):
        self._handle(inbound.conversion_attributed(event))

    @event_handler(tracking.CLICKS_ATTRIBUTED)
    def on_clicks_attributed(self, event):
        self._handle(inbound.clicks_attributed(event))

    @event_handler(tracking.CONVERSION_REVERSED)
    def on_conversion_reversed(self, event):
        self._handle(inbound.conversion_reversed(event))

    # timers ------------------------------------------------------------------------------
    @timer(SETTINGS, "approval_interval_seconds", default=5)
    def approve_due_commissions(self):
        limit = self._setting("approval_batch_size", 500)
        return self._handle(commands.ApproveDueCommissions(limit=limit))

    @timer(SETTINGS, "release_retry_interval_seconds", default=10)
    def retry_budget_releases(self):
        limit = self._setting("release_batch_size", 100)
        self._handle(commands.ApplyParkedRefunds(limit=limit))
        return self._handle(commands.SendBudgetReleases(limit=limit))

    # brand decisions ---------------------------------------------------------------------
    @api
    def approve_commission(self, commission_id, acting_brand_id):
        data = load(schemas.ApproveCommissionSchema(),
                    {"commission_id": commission_id, "acting_brand_id": acting_brand_id})
        self._handle(commands.ApproveCommission(**data))
        return self._get(data["commission_id"])

    @api
    def decline_commission(self, commission_id, acting_brand_id, reason):
        data = load(schemas.DeclineCommissionSchema(), {
            "commission_id": commission_id, "acting_brand_id": acting_brand_id,
            "reason": reason})
        self._handle(commands.DeclineCommission(**data))
        return self._get(data["commission_id"])

    # payout saga steps -------------------------------------------------------------------
    @api
    def hold_for_payout(self, payload):
        data = load(schemas.HoldForPayoutSchema(), payload)
        return self._handle(commands.HoldForPayout(**data))

    @api
    def confirm_payout(self, payout_id):
        data = load(schemas.PayoutIdSchema(), {"payout_id": payout_id})
        return self._handle(commands.ConfirmPayout(**data))

    @api
    def release_payout(self, payout_id):
        data = load(schemas.PayoutIdSchema(), {"payout_id": payout_id})
        return self._handle(commands.ReleasePayout(**data))

    # queries -----------------------------------------------------------------------------
    @api
    def get_commission(self, commission_id):
        data = load(schemas.CommissionIdSchema(), {"commission_id": commission_id})
        return self._get(data["commission_id"])

    @api
    def list_commissions(self, filters=None):
        data = load(schemas.ListCommissionsSchema(), filters or {})
        return self.bus.query(queries.ListCommissions(**data))

    @api
    def get_balance(self, partner_id):
        data = load(schemas.PartnerIdSchema(), {"partner_id": partner_id})
        return self.bus.query(queries.GetBalance(**data))

    @api
    def list_payable(self, filters):
        data = load(schemas.ListPayableSchema(), filters)
        return self.bus.query(queries.ListPayable(**data))

    # helpers -----------------------------------------------------------------------------
    def _handle(self, command):
        """Run a command with this worker's budget port (campaigns over RPC)."""
        self.bus.dependencies["budget"] = CampaignsBudget(self.rpc.campaigns)
        return self.bus.handle(command)

    def _get(self, commission_id):
        return self.bus.query(queries.GetCommission(commission_id=commission_id))

    def _setting(self, key, default):
        return int((self.config.get(SETTINGS) or {}).get(key, default))
