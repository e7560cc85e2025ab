"""The ``tracking`` Nameko service: clicks, conversions, last-click attribution, fraud
rules, refunds, CPC click batches, and the stats read model.

Each RPC validates its payload, hands a command or query to the bus, returns a DTO.
The BFF's redirects arrive as ``clicks_captured`` messages (recorded once each).
Campaigns' and partners' events keep the local replicas the hot path reads (never an
RPC); timers publish CPC click batches, the daily stats rows that changed
(``stats_changed``, for the BFF's dashboards) and purge old flooding counters.
"""
from __future__ import annotations

from common.contracts import bff, campaigns, partners
from common.nameko import business, health
from common.nameko.bus import MessageBusProvider
from common.nameko.config import settings_from
from common.nameko.database import ServiceDatabase
from common.nameko.events import event_handler
from common.nameko.observability import Observability
from common.nameko.rpc import api
from common.nameko.timers import timer
from common.seedwork.errors import DomainError
from common.validation import load
from services.tracking import schemas
from services.tracking.application import commands, dto, inbound, queries
from services.tracking.application.handlers import HANDLERS
from services.tracking.application.integration_events import TRANSLATOR
from services.tracking.application.settings import DEFAULTS, TrackingSettings
from services.tracking.domain.clicks import Click, ClickRequest
from services.tracking.infrastructure.cache_metrics import replica_cache_state
from services.tracking.infrastructure.tables import Base
from services.tracking.infrastructure.unit_of_work import SqlTrackingUnitOfWork

CONFIG_SECTION = "TRACKING"


class TrackingService(health.HealthMixin):
    name = "tracking"

    db = ServiceDatabase(Base)
    bus = MessageBusProvider(handlers=HANDLERS, unit_of_work=SqlTrackingUnitOfWork,
                             translator=TRANSLATOR,
                             settings=settings_from(CONFIG_SECTION, TrackingSettings))
    observability = Observability(gauges=[replica_cache_state])  # + the replica cache's

    # clicks ------------------------------------------------------------------------------
    @api
    def record_click(self, payload):
        request = ClickRequest(**load(schemas.RecordClickSchema, payload))
        [outcome] = self.bus.handle(commands.RecordClicks(clicks=(request,)))
        business.count_clicks((outcome,))
        if isinstance(outcome, DomainError):
            raise outcome
        return _click_dto(outcome)

    @api
    def record_clicks(self, payload):
        limit = self.bus.settings.max_clicks_per_call
        items = schemas.click_batch(payload, limit)
        requests = tuple(ClickRequest(**item) for item in items if isinstance(item, dict))
        recorded = self.bus.handle(commands.RecordClicks(clicks=requests)) if requests else ()
        business.count_clicks(recorded)
        outcomes = iter(recorded)
        return {"results": [_click_result(next(outcomes) if isinstance(item, dict) else item)
                            for item in items]}

    @event_handler(bff.CLICKS_CAPTURED)
    def on_clicks_captured(self, event):
        """The BFF's redirects, handed over in batches (its group commit)."""
        recorded = self.bus.handle(inbound.captured_clicks(event))
        business.count_clicks(recorded or ())

    @api
    def resolve_referral_codes(self, codes):
        """What the BFF's edge needs to redirect on these codes (the known ones):
        ``{"items": [{"referral_code", "enrollment_id", "campaign_id", "status",
        "revision", "campaign": {"campaign_id", "landing_url", "status", "revision"}}]}``."""
        data = load(schemas.ResolveReferralCodesSchema, {"codes": codes})
        return {"items": self.bus.query(queries.ResolveReferralCodes(codes=tuple(data["codes"])))}

    @api
    def record_partner_ip(self, payload):
        data = load(schemas.RecordPartnerIpSchema, payload)
        self.bus.handle(commands.RecordPartnerIp(**data))
        return data

    # conversions -------------------------------------------------------------------------
    @api
    def record_conversion(self, payload):
        data = load(schemas.RecordConversionSchema, payload)
        return dto.conversion(self.bus.handle(commands.RecordConversion(**data)))

    @api
    def reverse_conversion(self, payload):
        data = load(schemas.ReverseConversionSchema, payload)
        return self._conversion(self.bus.handle(commands.ReverseConversion(**data)))

    @api
    def get_conversion(self, conversion_id):
        data = load(schemas.ConversionIdSchema, {"conversion_id": conversion_id})
        return self._conversion(data["conversion_id"])

    @api
    def list_conversions(self, filters=None):
        data = load(schemas.ListConversionsSchema, filters or {})
        return self.bus.query(queries.ListConversions(**data))

    # stats -------------------------------------------------------------------------------
    @api
    def campaign_stats(self, payload):
        data = load(schemas.CampaignStatsSchema, payload)
        return self.bus.query(queries.CampaignStats(**data))

    @api
    def partner_stats(self, payload):
        data = load(schemas.PartnerStatsSchema, payload)
        return self.bus.query(queries.PartnerStats(**data))

    # periodic ----------------------------------------------------------------------------
    @timer(CONFIG_SECTION, "clicks_attributed_interval_seconds",
           DEFAULTS["clicks_attributed_interval_seconds"])
    def publish_click_batches(self):
        self.bus.handle(commands.BillValidClicks())

    @timer(CONFIG_SECTION, "housekeeping_interval_seconds",
           DEFAULTS["housekeeping_interval_seconds"])
    def housekeeping(self):
        """Flooding counters past their minute, clicks past their retention."""
        self.bus.handle(commands.PurgeFloodCounters())
        self.bus.handle(commands.PurgeOldClicks())

    @timer(CONFIG_SECTION, "stats_changed_interval_seconds",
           DEFAULTS["stats_changed_interval_seconds"])
    def publish_stats_changes(self):
        """The daily stats rows changed since the last batch, as ``stats_changed``."""
        return self.bus.handle(commands.PublishStatsChanges(
            max_rows=self.bus.settings.stats_batch_rows))

    # replicas: campaigns -----------------------------------------------------------------
    @event_handler(campaigns.CAMPAIGN_CREATED)
    def on_campaign_created(self, event):
        self._replicate(inbound.campaign_event(event))

    @event_handler(campaigns.CAMPAIGN_ACTIVATED)
    def on_campaign_activated(self, event):
        self._replicate(inbound.campaign_event(event))

    @event_handler(campaigns.CAMPAIGN_PAUSED)
    def on_campaign_paused(self, event):
        self._replicate(inbound.campaign_event(event))

    @event_handler(campaigns.CAMPAIGN_ENDED)
    def on_campaign_ended(self, event):
        self._replicate(inbound.campaign_event(event))

    @event_handler(campaigns.CAMPAIGN_CANCELLED)
    def on_campaign_cancelled(self, event):
        self._replicate(inbound.campaign_event(event))

    @event_handler(campaigns.CAMPAIGN_TERMS_CHANGED)
    def on_campaign_terms_changed(self, event):
        self._replicate(inbound.campaign_event(event))

    @event_handler(campaigns.PARTNER_ENROLLED)
    def on_partner_enrolled(self, event):
        self._replicate(inbound.enrollment(event))

    @event_handler(campaigns.ENROLLMENT_SUSPENDED)
    def on_enrollment_suspended(self, event):
        self._replicate(inbound.enrollment(event))

    @event_handler(campaigns.ENROLLMENT_REACTIVATED)
    def on_enrollment_reactivated(self, event):
        self._replicate(inbound.enrollment(event))

    @event_handler(campaigns.ENROLLMENT_CODE_CHANGED)
    def on_enrollment_code_changed(self, event):
        self._replicate(inbound.enrollment(event))

    @event_handler(campaigns.ENROLLMENT_COMMISSION_CHANGED)
    def on_enrollment_commission_changed(self, event):
        self.bus.handle(inbound.partner_figures(event))

    # replicas: partners (from activation on: a PENDING partner has no code to attribute)
    @event_handler(partners.PARTNER_ACTIVATED)
    def on_partner_activated(self, event):
        self.bus.handle(inbound.partner(event))

    @event_handler(partners.PARTNER_SUSPENDED)
    def on_partner_suspended(self, event):
        self.bus.handle(inbound.partner(event))

    @event_handler(partners.PARTNER_REACTIVATED)
    def on_partner_reactivated(self, event):
        self.bus.handle(inbound.partner(event))

    # helpers -----------------------------------------------------------------------------
    def _replicate(self, command):
        """A campaign or enrollment replica change, which may free parked clicks."""
        business.count_clicks(self.bus.handle(command) or ())

    def _conversion(self, conversion_id):
        return self.bus.query(queries.GetConversion(conversion_id=conversion_id))


def _click_dto(click: Click) -> dict:
    return {"click_id": click.click_id, "redirect_url": click.redirect_url,
            "attributable": click.attributable}


def _click_result(outcome: Click | DomainError) -> dict:
    if isinstance(outcome, DomainError):
        return {"error": outcome.to_dict()}
    return _click_dto(outcome)
