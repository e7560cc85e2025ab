"""The ``tracking`` Nameko service: clicks, conversions, last-click attribution, fraud
rules, refunds, CPC click batches, and the stats read model.

Each RPC validates its payload, hands a command or query to the bus, returns a DTO.
Campaigns' and partners' events keep the local replicas the hot path reads (never an
RPC); timers publish CPC click batches and purge old flooding counters.
"""
from __future__ import annotations

from common.contracts import campaigns, partners
from common.nameko import health
from common.nameko.bus import MessageBusProvider
from common.nameko.config import section
from common.nameko.events import event_handler
from common.nameko.rpc import api
from common.nameko.timers import timer
from common.seedwork.application.integration import IntegrationEvent
from common.seedwork.domain.clock import utcnow
from common.seedwork.errors import DomainError, ValidationError
from common.validation import load
from services.tracking import schemas
from services.tracking.application import commands, queries, replication
from services.tracking.application.handlers import HANDLERS
from services.tracking.application.integration_events import TRANSLATOR
from services.tracking.application.settings import DEFAULTS, TrackingSettings
from services.tracking.domain.clicks import Click, ClickRequest
from services.tracking.infrastructure.repositories import REPOSITORIES

CONFIG_SECTION = "TRACKING"


def _dependencies(config: dict) -> dict:
    return {"clock": utcnow,
            "settings": TrackingSettings.from_config(section(config, CONFIG_SECTION, DEFAULTS))}


class TrackingService(health.HealthMixin):
    name = "tracking"

    bus = MessageBusProvider(handlers=HANDLERS, repositories=REPOSITORIES,
                             translator=TRANSLATOR, dependencies=_dependencies)

    # clicks ------------------------------------------------------------------------------
    @api
    def record_click(self, payload):
        request = ClickRequest(**load(schemas.RecordClickSchema, payload))
        [outcome] = self.bus.handle(commands.RecordClicks(clicks=(request,)))
        if isinstance(outcome, DomainError):
            raise outcome
        return _click_dto(outcome)

    @api
    def record_clicks(self, payload):
        limit = self.bus.dependencies["settings"].max_clicks_per_call
        items = schemas.click_batch(payload, limit)
        requests = tuple(ClickRequest(**item) for item in items if isinstance(item, dict))
        outcomes = iter(self.bus.handle(commands.RecordClicks(clicks=requests))
                        if requests else ())
        return {"results": [_click_result(next(outcomes) if isinstance(item, dict) else item)
                            for item in items]}

    @api
    def record_partner_ip(self, payload):
        data = load(schemas.RecordPartnerIpSchema, payload)
        self.bus.handle(commands.RecordPartnerIp(**data))
        return data

    # conversions -------------------------------------------------------------------------
    @api
    def record_conversion(self, payload):
        data = load(schemas.RecordConversionSchema, payload)
        return self._conversion(self.bus.handle(commands.RecordConversion(**data)))

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
    def purge_flood_counters(self):
        self.bus.handle(commands.PurgeFloodCounters())

    # replicas: campaigns -----------------------------------------------------------------
    @event_handler(campaigns.SOURCE, "campaign_created")
    def on_campaign_created(self, body):
        self._replicate(campaigns.CAMPAIGN_CREATED, body, replication.campaign_event)

    @event_handler(campaigns.SOURCE, "campaign_activated")
    def on_campaign_activated(self, body):
        self._replicate(campaigns.CAMPAIGN_ACTIVATED, body, replication.campaign_event)

    @event_handler(campaigns.SOURCE, "campaign_paused")
    def on_campaign_paused(self, body):
        self._replicate(campaigns.CAMPAIGN_PAUSED, body, replication.campaign_event)

    @event_handler(campaigns.SOURCE, "campaign_ended")
    def on_campaign_ended(self, body):
        self._replicate(campaigns.CAMPAIGN_ENDED, body, replication.campaign_event)

    @event_handler(campaigns.SOURCE, "campaign_cancelled")
    def on_campaign_cancelled(self, body):
        self._replicate(campaigns.CAMPAIGN_CANCELLED, body, replication.campaign_event)

    @event_handler(campaigns.SOURCE, "campaign_terms_changed")
    def on_campaign_terms_changed(self, body):
        self._replicate(campaigns.CAMPAIGN_TERMS_CHANGED, body, replication.campaign_event)

    @event_handler(campaigns.SOURCE, "partner_enrolled")
    def on_partner_enrolled(self, body):
        self._replicate(campaigns.PARTNER_ENROLLED, body, replication.enrollment)

    @event_handler(campaigns.SOURCE, "enrollment_suspended")
    def on_enrollment_suspended(self, body):
        self._replicate(campaigns.ENROLLMENT_SUSPENDED, body, replication.enrollment)

    @event_handler(campaigns.SOURCE, "enrollment_reactivated")
    def on_enrollment_reactivated(self, body):
        self._replicate(campaigns.ENROLLMENT_REACTIVATED, body, replication.enrollment)

    # replicas: partners ------------------------------------------------------------------
    @event_handler(partners.SOURCE, "partner_registered")
    def on_partner_registered(self, body):
        self._replicate(partners.PARTNER_REGISTERED, body, replication.partner)

    @event_handler(partners.SOURCE, "partner_activated")
    def on_partner_activated(self, body):
        self._replicate(partners.PARTNER_ACTIVATED, body, replication.partner)

    @event_handler(partners.SOURCE, "partner_suspended")
    def on_partner_suspended(self, body):
        self._replicate(partners.PARTNER_SUSPENDED, body, replication.partner)

    @event_handler(partners.SOURCE, "partner_reactivated")
    def on_partner_reactivated(self, body):
        self._replicate(partners.PARTNER_REACTIVATED, body, replication.partner)

    # helpers -----------------------------------------------------------------------------
    def _replicate(self, contract, body, to_command):
        envelope = IntegrationEvent.from_message(body)
        if envelope.version != contract.version:
            raise ValidationError(f"{contract.name} v{envelope.version} is not understood.",
                                  {"version": [f"Expected {contract.version}."]})
        self.bus.handle(to_command(contract.parse(envelope.payload)))

    def _conversion(self, conversion_id):
        return self.bus.query(queries.GetConversion(conversion_id=conversion_id))


def _click_dto(click: Click) -> dict:
    return {"click_id": click.click_id, "redirect_url": click.redirect_url,
            "attributable": click.attributable}


def _click_result(outcome: Click | DomainError) -> dict:
    if isinstance(outcome, DomainError):
        return {"error": outcome.to_dict()}
    return _click_dto(outcome)
