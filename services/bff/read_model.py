"""The dashboards' read model, kept by events: what ``BffService`` inherits for it.

Its own database (``DB_URIS["bff:Base"]``: SQLite by default, PostgreSQL when several BFF
instances share it), reliable event handlers (declared queues, retries, dead letters)
for the low-frequency events it needs -- partners' snapshots from activation on,
campaigns' brands, campaigns and enrollments -- and the two batched snapshots:
tracking's ``stats_changed`` and commissions' ``balances_changed``, each published by a
timer every few seconds. It
consumes no per-conversion or per-commission event: the conversion chain costs the same
with it. Each handler's writes are newest-revision-wins, so idempotent by themselves: no
inbox row per event (``inbox=False``).

The dashboard routes (``services/bff/api/dashboards.py``) read it through ``bus.query``:
one read transaction, no RPC.
"""
from __future__ import annotations

from common.contracts import campaigns, commissions, partners, tracking
from common.nameko.bus import MessageBusProvider
from common.nameko.database import ServiceDatabase
from common.nameko.events import event_handler
from services.bff.application import inbound
from services.bff.application.handlers import HANDLERS
from services.bff.infrastructure.tables import Base
from services.bff.infrastructure.unit_of_work import SqlReadModelUnitOfWork


def keeps(contract):
    """A reliable handler whose writes are idempotent by revision (no inbox)."""
    return event_handler(contract, inbox=False)


class DashboardsReadModel:
    db = ServiceDatabase(Base)
    bus = MessageBusProvider(handlers=HANDLERS, unit_of_work=SqlReadModelUnitOfWork)

    # partners' profiles, from activation on: a PENDING partner has no link, stat or
    # balance to show (its dashboard asks partners for the profile: api/dashboards.py), and
    # a registration's replicas cost more than the registration itself (profile)
    @keeps(partners.PARTNER_ACTIVATED)
    def keep_partner_activated(self, event):
        self.bus.handle(inbound.profile(event))

    @keeps(partners.PARTNER_SUSPENDED)
    def keep_partner_suspended(self, event):
        self.bus.handle(inbound.profile(event))

    @keeps(partners.PARTNER_REACTIVATED)
    def keep_partner_reactivated(self, event):
        self.bus.handle(inbound.profile(event))

    @keeps(partners.PARTNER_PAYOUT_METHOD_CHANGED)
    def keep_partner_payout_method_changed(self, event):
        self.bus.handle(inbound.profile(event))

    # campaigns' brands, campaigns and enrollments ----------------------------------------
    @keeps(campaigns.BRAND_REGISTERED)
    def keep_brand_registered(self, event):
        self.bus.handle(inbound.brand(event))

    @keeps(campaigns.CAMPAIGN_CREATED)
    def keep_campaign_created(self, event):
        self.bus.handle(inbound.campaign(event))

    @keeps(campaigns.CAMPAIGN_ACTIVATED)
    def keep_campaign_activated(self, event):
        self.bus.handle(inbound.campaign(event))

    @keeps(campaigns.CAMPAIGN_PAUSED)
    def keep_campaign_paused(self, event):
        self.bus.handle(inbound.campaign(event))

    @keeps(campaigns.CAMPAIGN_ENDED)
    def keep_campaign_ended(self, event):
        self.bus.handle(inbound.campaign(event))

    @keeps(campaigns.CAMPAIGN_CANCELLED)
    def keep_campaign_cancelled(self, event):
        self.bus.handle(inbound.campaign(event))

    @keeps(campaigns.CAMPAIGN_TERMS_CHANGED)
    def keep_campaign_terms_changed(self, event):
        self.bus.handle(inbound.campaign(event))

    @keeps(campaigns.CAMPAIGN_BUDGET_CHANGED)
    def keep_campaign_budget_changed(self, event):
        self.bus.handle(inbound.campaign(event))

    @keeps(campaigns.PARTNER_ENROLLED)
    def keep_partner_enrolled(self, event):
        self.bus.handle(inbound.enrollment(event))

    @keeps(campaigns.ENROLLMENT_REQUESTED)
    def keep_enrollment_requested(self, event):
        self.bus.handle(inbound.application(event))

    @keeps(campaigns.ENROLLMENT_DECLINED)
    def keep_enrollment_declined(self, event):
        self.bus.handle(inbound.application(event))

    @keeps(campaigns.ENROLLMENT_WITHDRAWN)
    def keep_enrollment_withdrawn(self, event):
        self.bus.handle(inbound.application(event))

    @keeps(campaigns.ENROLLMENT_SUSPENDED)
    def keep_enrollment_suspended(self, event):
        self.bus.handle(inbound.enrollment(event))

    @keeps(campaigns.ENROLLMENT_REACTIVATED)
    def keep_enrollment_reactivated(self, event):
        self.bus.handle(inbound.enrollment(event))

    @keeps(campaigns.ENROLLMENT_CODE_CHANGED)
    def keep_enrollment_code_changed(self, event):
        self.bus.handle(inbound.enrollment(event))

    # the batched snapshots ---------------------------------------------------------------
    @keeps(tracking.STATS_CHANGED)
    def keep_stats_changed(self, event):
        self.bus.handle(inbound.stats(event))

    @keeps(commissions.BALANCES_CHANGED)
    def keep_balances_changed(self, event):
        self.bus.handle(inbound.balances(event))
