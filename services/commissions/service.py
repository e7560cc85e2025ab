"""The ``commissions`` Nameko service: prices attributed conversions and clicks within
each campaign's budget, keeps each partner's ledger, and holds/confirms/releases
commissions for the payout saga.

Each RPC validates its payload, hands a command or query to the bus, returns a DTO.
Events arrive through the reliable ``event_handler`` (poison check, retries, dead
letters, inbox): tracking's conversions and clicks to price, campaigns' snapshots for
the budgets. Timers approve commissions whose hold is over, apply refunds a crash left
parked, and publish the ledgers and budgets that changed (``balances_changed``, for the
BFF's dashboards).
"""
from __future__ import annotations

from common.contracts import campaigns, tracking
from common.nameko import health
from common.nameko.bus import MessageBusProvider
from common.nameko.config import settings_from
from common.nameko.database import ServiceDatabase
from common.nameko.events import event_handler
from common.nameko.rpc import api
from common.nameko.timers import timer
from common.seedwork.domain.clock import utcnow
from common.seedwork.domain.money import Money
from common.validation import load
from services.commissions import schemas
from services.commissions.application import commands, inbound, queries
from services.commissions.application.handlers import HANDLERS
from services.commissions.application.integration_events import TRANSLATOR
from services.commissions.application.settings import SECTION, CommissionsSettings
from services.commissions.infrastructure.tables import Base
from services.commissions.infrastructure.unit_of_work import SqlCommissionsUnitOfWork


def message_bus(clock=utcnow) -> MessageBusProvider:
    """The bus, with the clock the use cases read (tests pass their own)."""
    return MessageBusProvider(
        handlers=HANDLERS, unit_of_work=SqlCommissionsUnitOfWork, translator=TRANSLATOR,
        settings=settings_from(SECTION, CommissionsSettings), clock=clock)


class CommissionsService(health.HealthMixin):
    name = "commissions"

    db = ServiceDatabase(Base)
    bus = message_bus()

    # events from tracking ----------------------------------------------------------------
    @event_handler(tracking.CONVERSION_ATTRIBUTED)
    def on_conversion_attributed(self, event):
        self.bus.handle(inbound.conversion_attributed(event))

    @event_handler(tracking.CLICKS_ATTRIBUTED)
    def on_clicks_attributed(self, event):
        self.bus.handle(inbound.clicks_attributed(event))

    @event_handler(tracking.CONVERSION_REVERSED)
    def on_conversion_reversed(self, event):
        self.bus.handle(inbound.conversion_reversed(event))

    # campaign budgets (campaigns' events carry each campaign's snapshot) ---------------
    @event_handler(campaigns.CAMPAIGN_CREATED)
    def on_campaign_created(self, event):
        self.bus.handle(inbound.campaign_budget(event))

    @event_handler(campaigns.CAMPAIGN_ACTIVATED)
    def on_campaign_activated(self, event):
        self.bus.handle(inbound.campaign_budget(event))

    @event_handler(campaigns.CAMPAIGN_TERMS_CHANGED)
    def on_campaign_terms_changed(self, event):
        self.bus.handle(inbound.campaign_budget(event))

    @event_handler(campaigns.CAMPAIGN_BUDGET_CHANGED)
    def on_campaign_budget_changed(self, event):
        self.bus.handle(inbound.campaign_budget(event))

    @event_handler(campaigns.PARTNER_ENROLLED)
    def on_partner_enrolled(self, event):
        self.bus.handle(inbound.campaign_budget(event))

    # timers ------------------------------------------------------------------------------
    @timer(SECTION, "approval_interval_seconds", default=1)
    def approve_due_commissions(self):
        return self.bus.handle(commands.ApproveDueCommissions(
            limit=self.bus.settings.approval_batch_size))

    @timer(SECTION, "balances_changed_interval_seconds", default=2)
    def publish_balances_changes(self):
        """The ledgers and budgets changed since the last batch, as ``balances_changed``."""
        return self.bus.handle(commands.PublishBalancesChanges(
            max_rows=self.bus.settings.balances_batch_rows))

    @timer(SECTION, "parked_refunds_interval_seconds", default=10)
    def apply_parked_refunds(self):
        """Refunds left parked although their commission exists (a crash, or parked
        while their conversion's transaction ran): what bounds those races."""
        return self.bus.handle(commands.ApplyParkedRefunds(
            limit=self.bus.settings.parked_refunds_batch_size))

    # brand decisions ---------------------------------------------------------------------
    @api
    def approve_commission(self, commission_id, acting_brand_id):
        data = load(schemas.ApproveCommissionSchema,
                    {"commission_id": commission_id, "acting_brand_id": acting_brand_id})
        self.bus.handle(commands.ApproveCommission(**data))
        return self._get(data["commission_id"])

    @api
    def approve_commissions(self, commission_ids, acting_brand_id):
        """Up to 100 of the brand's commissions approved at once, each on its own:
        ``{"approved": [ids], "refused": [{"commission_id", "error"}]}``."""
        data = load(schemas.ApproveCommissionsSchema, {"commission_ids": commission_ids,
                                                       "acting_brand_id": acting_brand_id})
        return self.bus.handle(commands.ApproveCommissions(
            commission_ids=tuple(data["commission_ids"]),
            acting_brand_id=data["acting_brand_id"]))

    @api
    def award_bonus(self, payload):
        """A one-off amount the campaign's brand pays a partner, approved at once, out of
        the campaign's budget: ``{"reference", "acting_brand_id", "campaign_id",
        "partner_id", "amount", "note"}`` (the same ``reference`` again: the same bonus)."""
        data = load(schemas.AwardBonusSchema, payload)
        amount = Money(data["amount"]["amount"], data["amount"]["currency"])
        commission_id = self.bus.handle(commands.AwardBonus(**{**data, "amount": amount}))
        return self._get(commission_id)

    @api
    def decline_commission(self, commission_id, acting_brand_id, reason):
        data = load(schemas.DeclineCommissionSchema, {
            "commission_id": commission_id, "acting_brand_id": acting_brand_id,
            "reason": reason})
        self.bus.handle(commands.DeclineCommission(**data))
        return self._get(data["commission_id"])

    # payout saga steps -------------------------------------------------------------------
    @api
    def hold_for_payout(self, payload):
        data = load(schemas.HoldForPayoutSchema, payload)
        return self.bus.handle(commands.HoldForPayout(**data))

    @api
    def confirm_payout(self, payout_id):
        data = load(schemas.PayoutIdSchema, {"payout_id": payout_id})
        return self.bus.handle(commands.ConfirmPayout(**data))

    @api
    def release_payout(self, payout_id):
        data = load(schemas.PayoutIdSchema, {"payout_id": payout_id})
        return self.bus.handle(commands.ReleasePayout(**data))

    # queries -----------------------------------------------------------------------------
    @api
    def get_commission(self, commission_id):
        data = load(schemas.CommissionIdSchema, {"commission_id": commission_id})
        return self._get(data["commission_id"])

    @api
    def list_commissions(self, filters=None):
        data = load(schemas.ListCommissionsSchema, filters or {})
        return self.bus.query(queries.ListCommissions(**data))

    @api
    def get_campaign_budget(self, campaign_id):
        data = load(schemas.CampaignIdSchema, {"campaign_id": campaign_id})
        return self.bus.query(queries.GetCampaignBudget(**data))

    @api
    def get_balance(self, partner_id):
        data = load(schemas.PartnerIdSchema, {"partner_id": partner_id})
        return self.bus.query(queries.GetBalance(**data))

    @api
    def list_payable(self, filters):
        data = load(schemas.ListPayableSchema, filters)
        return self.bus.query(queries.ListPayable(**data))

    # helpers -----------------------------------------------------------------------------
    def _get(self, commission_id):
        return self.bus.query(queries.GetCommission(commission_id=commission_id))
