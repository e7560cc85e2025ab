"""The ``bff`` Nameko service: the platform's HTTP API (``WEB_SERVER_ADDRESS``).

One ``@http`` entrypoint per declared route (see ``services.bff.api``), mounted from the
route table; each request runs in its own worker and goes through ``pipeline.handle``:
authenticate, authorize, validate, call the services by RPC (with timeouts), answer.
The BFF owns no business data: it keeps the rate limiter's counts -- in memory for one
instance, or in Redis when several instances share them (``BFF.rate_limit_storage``) --
and the dashboards' read model, a copy of other services' state kept by their events in
its own database (``read_model.py``), which the dashboards answer from without an RPC.
"""
from __future__ import annotations

from nameko.events import BROADCAST
from nameko.events import event_handler as nameko_event_handler

from common.contracts import campaigns, identity, partners
from common.nameko import context, health
from services.bff import pipeline, read_model, web
from services.bff.api import ROUTES
from services.bff.dependencies import BffRpcClient, Edge


def broadcast(contract):
    """Each BFF instance's own queue (BROADCAST) for an event that changes what it keeps
    in memory. Plain Nameko delivery, not the platform's reliable handler: nothing is
    stored, a message lost (an instance down, a broker restart) is covered by the
    memory's own limits (the credential cache's TTL, referral links' max age), and a
    queue per instance must vanish with its instance."""
    return nameko_event_handler(contract.source, contract.name, handler_type=BROADCAST,
                                reliable_delivery=False)


revocation = broadcast  # credentials revoked elsewhere


class BffService(read_model.DashboardsReadModel, health.HealthMixin):
    """The HTTP API, and the dashboards' read model it answers them from (kept by events:
    ``services/bff/read_model.py``, imported as a module: ``nameko run`` would take a
    class imported here for a service of its own)."""

    name = "bff"

    rpc = BffRpcClient()
    edge = Edge()
    request_id = context.CorrelationId()

    def dispatch(self, route, request, path_values):
        return pipeline.handle(route, request, path_values, edge=self.edge, rpc=self.rpc,
                               request_id=self.request_id, bus=self.bus)

    # credentials revoked elsewhere: dropped from this instance's cache at once -----------
    @revocation(identity.SESSION_REVOKED)
    def on_session_revoked(self, envelope):
        self.edge.credentials.on_event(envelope)

    @revocation(identity.API_KEY_REVOKED)
    def on_api_key_revoked(self, envelope):
        self.edge.credentials.on_event(envelope)

    @revocation(partners.PARTNER_SUSPENDED)
    def on_partner_suspended(self, envelope):
        self.edge.credentials.on_event(envelope)

    @revocation(partners.PARTNER_REACTIVATED)
    def on_partner_reactivated(self, envelope):
        self.edge.credentials.on_event(envelope)

    # referral links this instance redirects on: kept fresh (services/bff/referrals.py) ---
    @broadcast(campaigns.PARTNER_ENROLLED)
    def on_partner_enrolled(self, envelope):
        self.edge.links.on_event(envelope)

    @broadcast(campaigns.ENROLLMENT_SUSPENDED)
    def on_enrollment_suspended(self, envelope):
        self.edge.links.on_event(envelope)

    @broadcast(campaigns.ENROLLMENT_REACTIVATED)
    def on_enrollment_reactivated(self, envelope):
        self.edge.links.on_event(envelope)

    @broadcast(campaigns.ENROLLMENT_CODE_CHANGED)
    def on_enrollment_code_changed(self, envelope):
        self.edge.links.on_event(envelope)

    @broadcast(campaigns.CAMPAIGN_ACTIVATED)
    def on_campaign_activated(self, envelope):
        self.edge.links.on_event(envelope)

    @broadcast(campaigns.CAMPAIGN_PAUSED)
    def on_campaign_paused(self, envelope):
        self.edge.links.on_event(envelope)

    @broadcast(campaigns.CAMPAIGN_ENDED)
    def on_campaign_ended(self, envelope):
        self.edge.links.on_event(envelope)

    @broadcast(campaigns.CAMPAIGN_CANCELLED)
    def on_campaign_cancelled(self, envelope):
        self.edge.links.on_event(envelope)


web.mount(BffService, ROUTES)
