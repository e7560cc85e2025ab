"""The ``campaigns`` Nameko service: brands, campaigns and their versioned terms,
enrollments with referral links, and campaign budgets.

Each RPC validates its payload, hands a command or query to the bus, returns a DTO;
a refusal leaves as its typed class from ``common.contracts.campaigns``.
The partner events keep a local replica of partners (status, type, country), so
enrolling never asks the partners service anything. A timer ends campaigns whose end
date has passed.
"""
from __future__ import annotations

from common.contracts import commissions as commission_contracts
from common.contracts import partners as partner_contracts
from common.nameko import health
from common.nameko.bus import MessageBusProvider
from common.nameko.config import settings_from
from common.nameko.database import ServiceDatabase
from common.nameko.events import event_handler
from common.nameko.rpc import api
from common.nameko.timers import timer
from common.validation import load
from services.campaigns import schemas
from services.campaigns.application import commands, inbound, queries
from services.campaigns.application.errors import as_published_errors
from services.campaigns.application.handlers import HANDLERS
from services.campaigns.application.integration_events import TRANSLATOR
from services.campaigns.application.settings import SECTION, CampaignsSettings
from services.campaigns.domain.enrollment import new_referral_code
from services.campaigns.infrastructure.tables import Base
from services.campaigns.infrastructure.unit_of_work import SqlCampaignsUnitOfWork


class CampaignsService(health.HealthMixin):
    name = "campaigns"

    db = ServiceDatabase(Base)
    bus = MessageBusProvider(
        handlers=HANDLERS, unit_of_work=SqlCampaignsUnitOfWork, translator=TRANSLATOR,
        settings=settings_from(SECTION, CampaignsSettings),
        shared={"new_code": lambda wiring: new_referral_code,
                "public_base_url": lambda wiring: wiring.settings.public_base_url})

    # brands ------------------------------------------------------------------------------
    @api
    def register_brand(self, payload):
        data = load(schemas.RegisterBrandSchema, payload)
        return {"brand_id": self._handle(commands.RegisterBrand(**data))}

    @api
    def get_brand(self, brand_id):
        data = load(schemas.BrandIdSchema, {"brand_id": brand_id})
        return self.bus.query(queries.GetBrand(**data))

    @api
    def list_brands(self, filters=None):
        data = load(schemas.ListBrandsSchema, filters or {})
        return self.bus.query(queries.ListBrands(**data))

    # campaigns ---------------------------------------------------------------------------
    @api
    def create_campaign(self, payload):
        data = load(schemas.CreateCampaignSchema, payload)
        return self._campaign(self._handle(commands.CreateCampaign(**data)))

    @api
    def activate_campaign(self, campaign_id, acting_brand_id):
        return self._change(commands.ActivateCampaign, campaign_id, acting_brand_id)

    @api
    def pause_campaign(self, campaign_id, acting_brand_id):
        return self._change(commands.PauseCampaign, campaign_id, acting_brand_id)

    @api
    def end_campaign(self, campaign_id, acting_brand_id):
        return self._change(commands.EndCampaign, campaign_id, acting_brand_id)

    @api
    def cancel_campaign(self, campaign_id, acting_brand_id):
        return self._change(commands.CancelCampaign, campaign_id, acting_brand_id)

    @api
    def change_terms(self, campaign_id, acting_brand_id, terms, effective_from=None):
        data = load(schemas.ChangeTermsSchema, {
            "campaign_id": campaign_id, "acting_brand_id": acting_brand_id, "terms": terms,
            "effective_from": effective_from})
        self._handle(commands.ChangeTerms(**data))
        return self._campaign(data["campaign_id"])

    @api
    def change_budget(self, campaign_id, acting_brand_id, budget):
        data = load(schemas.ChangeBudgetSchema, {
            "campaign_id": campaign_id, "acting_brand_id": acting_brand_id, "budget": budget})
        self._handle(commands.ChangeBudget(**data))
        return self._campaign(data["campaign_id"])

    @api
    def change_admission(self, campaign_id, acting_brand_id, admission):
        data = load(schemas.ChangeAdmissionSchema, {
            "campaign_id": campaign_id, "acting_brand_id": acting_brand_id,
            "admission": admission})
        self._handle(commands.ChangeAdmission(**data))
        return self._campaign(data["campaign_id"])

    @api
    def get_campaign(self, campaign_id):
        data = load(schemas.CampaignIdSchema, {"campaign_id": campaign_id})
        return self._campaign(data["campaign_id"])

    @api
    def list_campaigns(self, filters=None):
        data = load(schemas.ListCampaignsSchema, filters or {})
        return self.bus.query(queries.ListCampaigns(**data))

    # enrollments -------------------------------------------------------------------------
    @api
    def enroll_partner(self, campaign_id, partner_id, note=None):
        data = load(schemas.EnrollPartnerSchema,
                    {"campaign_id": campaign_id, "partner_id": partner_id, "note": note})
        enrollment_id = self._handle(commands.EnrollPartner(**data))
        return self.bus.query(queries.GetEnrollment(enrollment_id=enrollment_id))

    @api
    def approve_enrollment(self, enrollment_id, acting_brand_id):
        return self._change_enrollment(commands.ApproveEnrollment, schemas.EnrollmentActionSchema,
                                       enrollment_id=enrollment_id,
                                       acting_brand_id=acting_brand_id)

    @api
    def decline_enrollment(self, enrollment_id, acting_brand_id, reason=None):
        return self._change_enrollment(commands.DeclineEnrollment,
                                       schemas.DeclineEnrollmentSchema,
                                       enrollment_id=enrollment_id,
                                       acting_brand_id=acting_brand_id, reason=reason)

    @api
    def withdraw_application(self, enrollment_id, acting_partner_id):
        return self._change_enrollment(commands.WithdrawApplication,
                                       schemas.PartnerEnrollmentActionSchema,
                                       enrollment_id=enrollment_id,
                                       acting_partner_id=acting_partner_id)

    @api
    def leave_campaign(self, enrollment_id, acting_partner_id):
        return self._change_enrollment(commands.LeaveCampaign,
                                       schemas.PartnerEnrollmentActionSchema,
                                       enrollment_id=enrollment_id,
                                       acting_partner_id=acting_partner_id)

    @api
    def suspend_enrollment(self, enrollment_id, acting_brand_id, note=None):
        return self._change_enrollment(commands.SuspendEnrollment,
                                       schemas.SuspendEnrollmentSchema,
                                       enrollment_id=enrollment_id,
                                       acting_brand_id=acting_brand_id, note=note)

    @api
    def reactivate_enrollment(self, enrollment_id, acting_brand_id):
        return self._change_enrollment(commands.ReactivateEnrollment,
                                       schemas.EnrollmentActionSchema,
                                       enrollment_id=enrollment_id,
                                       acting_brand_id=acting_brand_id)

    @api
    def set_partner_commission(self, enrollment_id, acting_brand_id, commission):
        """Pay this partner its own figures from now on (``{"rate": "0.15"}`` where the
        campaign pays CPS, ``{"amount": {...}}`` for CPA); None: the campaign's."""
        return self._change_enrollment(commands.SetPartnerCommission,
                                       schemas.SetPartnerCommissionSchema,
                                       enrollment_id=enrollment_id,
                                       acting_brand_id=acting_brand_id,
                                       commission=commission)

    @api
    def change_referral_code(self, enrollment_id, code, acting_partner_id=None,
                             acting_brand_id=None):
        """Give the link a code of its own choosing (``bea10``), by its partner or its
        campaign's brand: the new code works from now on, the old one stops."""
        return self._change_enrollment(commands.ChangeReferralCode,
                                       schemas.ChangeReferralCodeSchema,
                                       enrollment_id=enrollment_id, code=code,
                                       acting_partner_id=acting_partner_id,
                                       acting_brand_id=acting_brand_id)

    def _change_enrollment(self, command, schema, **payload):
        """Checked by ``schema``, handled as ``command``; answers the enrollment as it is."""
        data = load(schema, payload)
        self._handle(command(**data))
        return self.bus.query(queries.GetEnrollment(enrollment_id=data["enrollment_id"]))

    @api
    def get_enrollment(self, enrollment_id):
        data = load(schemas.EnrollmentIdSchema, {"enrollment_id": enrollment_id})
        return self.bus.query(queries.GetEnrollment(**data))

    @api
    def list_enrollments(self, filters=None):
        data = load(schemas.ListEnrollmentsSchema, filters or {})
        return self.bus.query(queries.ListEnrollments(**data))

    @api
    def resolve_referral_code(self, code):
        data = load(schemas.ReferralCodeSchema, {"code": code})
        return self.bus.query(queries.ResolveReferralCode(**data))

    # budget, as commissions report it ----------------------------------------------------
    @event_handler(commission_contracts.CAMPAIGN_BUDGET_EXHAUSTED)
    def on_campaign_budget_exhausted(self, event):
        self._handle(inbound.budget_exhausted(event))

    @event_handler(commission_contracts.CAMPAIGN_BUDGET_AVAILABLE)
    def on_campaign_budget_available(self, event):
        self._handle(inbound.budget_available(event))

    # partner replica (events from the partners service), from activation on: a PENDING
    # partner cannot enroll, and the registration's replicas cost more than it did
    @event_handler(partner_contracts.PARTNER_ACTIVATED)
    def on_partner_activated(self, event):
        self.bus.handle(inbound.partner_snapshot(event))

    @event_handler(partner_contracts.PARTNER_SUSPENDED)
    def on_partner_suspended(self, event):
        self.bus.handle(inbound.partner_snapshot(event))

    @event_handler(partner_contracts.PARTNER_REACTIVATED)
    def on_partner_reactivated(self, event):
        self.bus.handle(inbound.partner_snapshot(event))

    @event_handler(partner_contracts.PARTNER_PAYOUT_METHOD_CHANGED)
    def on_partner_payout_method_changed(self, event):
        self.bus.handle(inbound.partner_snapshot(event))

    # timers ------------------------------------------------------------------------------
    @timer(SECTION, "expiry_interval_seconds", default=60)
    def end_expired_campaigns(self):
        """Campaigns whose end date has passed end by themselves (``campaign_ended``)."""
        return self.bus.handle(commands.EndExpiredCampaigns(
            limit=self.bus.settings.expiry_batch_size))

    # helpers -----------------------------------------------------------------------------
    def _handle(self, command):
        with as_published_errors():
            return self.bus.handle(command)

    def _change(self, command_type, campaign_id, acting_brand_id):
        data = load(schemas.CampaignActionSchema,
                    {"campaign_id": campaign_id, "acting_brand_id": acting_brand_id})
        self._handle(command_type(**data))
        return self._campaign(data["campaign_id"])

    def _campaign(self, campaign_id):
        return self.bus.query(queries.GetCampaign(campaign_id=campaign_id))
