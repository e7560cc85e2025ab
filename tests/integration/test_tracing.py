"""Traces across the platform, read from OpenTelemetry's in-memory exporter.

The real BFF, partners, campaigns, tracking and commissions run in this process
(``TRACING: {enabled: true, exporter: memory}``). One conversion posted to the BFF makes
one trace: the BFF's server span, its RPC client span, tracking's ``record_conversion``,
commissions' handling of ``conversion_attributed`` (from the envelope's
``traceparent``) and campaigns' handling of ``campaign_budget_exhausted`` (the commission
uses the whole budget) -- every server and consumer span with the request's correlation
id. Then the same when tracking's relay "crashes" between commit and publish: the sweep
publishes the event later, from the outbox row, and the trace still goes on, the
consumer's span linking to the producer's.
"""
from __future__ import annotations

import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.utils import find_free_port

from common.nameko import metrics, tracing
from common.nameko.relay import OutboxRelay
from services.bff.service import BffService
from services.campaigns.service import CampaignsService
from services.commissions.service import CommissionsService
from services.partners.service import PartnersService
from services.tracking.service import TrackingService
from tests.integration.bff.client import Api
from tests.integration.bff.conftest import SECRET
from tests.support import migrated, read_model, service_config, wait_for

TRACED = {"TRACING": {"enabled": True, "exporter": "memory"},
          "TRACKING": {"too_fast_min_seconds": 0, "self_referral_enabled": False},
          "COMMISSIONS": {"approval_interval_seconds": 3600}}
VISITOR_IP = "198.51.100.7"


@pytest.fixture
def spans():
    exporter = tracing.memory_exporter()
    exporter.clear()
    yield exporter
    exporter.clear()


@pytest.fixture
def platform(container_factory, rabbit_config, make_db_uri, monkeypatch, spans):
    """The five services, traced; ``(api, rpc config)``."""
    monkeypatch.setenv("ALPES_JWT_SECRET", SECRET)
    uris = {name: migrated(name, make_db_uri("sqlite", name))
            for name in ("partners", "campaigns", "tracking", "commissions")}
    for service_cls in (PartnersService, CampaignsService, TrackingService,
                        CommissionsService):
        container_factory(service_cls, service_config(rabbit_config, uris, **TRACED)).start()
    port = find_free_port()
    config = service_config(rabbit_config, read_model(make_db_uri),
                            WEB_SERVER_ADDRESS=f"127.0.0.1:{port}", **TRACED)
    container_factory(BffService, config).start()
    return Api(f"http://127.0.0.1:{port}", config), config


def _enrolled_click(api: Api, config: dict) -> tuple[str, str]:
    """A brand whose active campaign (budget 20.00 USD, CPS 10%) has an enrolled active
    partner, and a click on its link: (brand id, click id)."""
    with ClusterRpcProxy(config, timeout=10) as rpc:
        brand_id = rpc.campaigns.register_brand({"name": "Acme", "currency": "USD"})["brand_id"]
        campaign = rpc.campaigns.create_campaign({
            "brand_id": brand_id, "name": "Spring", "currency": "USD",
            "budget": {"amount": "20.00", "currency": "USD"},
            "landing_url": "https://shop.example.com/spring",
            "terms": {"model": "CPS", "rate": "0.10", "attribution_window_days": 30,
                      "hold_days": 0}})
        rpc.campaigns.activate_campaign(campaign["campaign_id"], brand_id)
        email = f"bea-{uuid.uuid4().hex[:8]}@example.com"
        partner = rpc.partners.register_partner({
            "name": "Bea", "email": email, "type": "affiliate", "country": "ES",
            "payout_method": {"type": "paypal", "email": email}})
        rpc.partners.verify_partner(partner["partner_id"])
        rpc.partners.activate_partner(partner["partner_id"])

        def enroll():
            try:
                return rpc.campaigns.enroll_partner(campaign["campaign_id"],
                                                    partner["partner_id"])
            except Exception:  # noqa: BLE001 -- until campaigns has the activation
                return None

        code = wait_for(enroll, timeout=15, interval=0.2, message="enrollment")["referral_code"]

        def click():
            try:
                return rpc.tracking.record_click({"referral_code": code, "ip": VISITOR_IP,
                                                  "user_agent": "Mozilla/5.0 test"})
            except Exception:  # noqa: BLE001 -- until tracking has the enrollment
                return None

        return brand_id, wait_for(click, timeout=15, interval=0.2, message="click")["click_id"]


def _post_conversion(api: Api, brand_id: str, click_id: str, caller_trace: str | None = None):
    headers = {"X-Request-Id": f"req-{uuid.uuid4().hex}"}
    if caller_trace:
        headers["traceparent"] = caller_trace
    answer = api.post("/api/v1/conversions", api.brand(brand_id), headers=headers, json={
        "order_id": f"A-{uuid.uuid4().hex[:6]}", "amount": "200.00", "currency": "USD",
        "click_id": click_id, "customer_ip": VISITOR_IP})
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "ATTRIBUTED"
    return answer, headers["X-Request-Id"]


def _trace(spans, trace_id: int, until: set[str]):
    """The spans of one trace, once it has a span named like each of ``until``."""
    def complete():
        found = [s for s in spans.get_finished_spans() if s.context.trace_id == trace_id]
        names = {s.name for s in found}
        return found if until <= names else None

    return wait_for(complete, timeout=20, interval=0.1, message=f"spans {sorted(until)}")


def _service(span) -> str:
    return span.resource.attributes["service.name"]


def test_one_conversion_is_one_trace_from_the_bff_to_campaigns(platform, spans):
    api, config = platform
    brand_id, click_id = _enrolled_click(api, config)
    caller = tracing.parse(f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01")
    answer, request_id = _post_conversion(api, brand_id, click_id,
                                          tracing.format_context(caller))

    # the answer names the BFF's span, in the caller's trace
    returned = tracing.parse(answer.headers["traceparent"])
    assert returned is not None and returned.trace_id == caller.trace_id
    found = _trace(spans, caller.trace_id, until={
        "POST /api/v1/conversions", "tracking.record_conversion",
        "tracking.conversion_attributed process", "commissions.campaign_budget_exhausted process"})
    by_id = {s.context.span_id: s for s in found}
    services = {_service(s) for s in found}
    assert {"bff", "tracking", "commissions", "campaigns"} <= services

    # parent links: bff server -> bff client (tracking.record_conversion) -> tracking server
    server = next(s for s in found if s.name == "POST /api/v1/conversions")
    assert server.parent.span_id == caller.span_id and server.context.span_id == returned.span_id
    client = next(s for s in found if s.name == "tracking.record_conversion"
                  and _service(s) == "bff")
    served = next(s for s in found if s.name == "tracking.record_conversion"
                  and _service(s) == "tracking")
    assert client.parent.span_id == server.context.span_id
    assert served.parent.span_id == client.context.span_id
    consumer = next(s for s in found if s.name == "tracking.conversion_attributed process")
    assert _service(consumer) == "commissions"
    assert consumer.parent.span_id == served.context.span_id  # the envelope's traceparent
    assert [link.context.span_id for link in consumer.links] == [served.context.span_id]
    budget = next(s for s in found if s.name == "commissions.campaign_budget_exhausted process")
    assert _service(budget) == "campaigns" and budget.parent.span_id in by_id

    # every worker's span carries the request's correlation id
    workers = [s for s in found if s.kind.name in ("SERVER", "CONSUMER")]
    assert {s.attributes["alpes.correlation_id"] for s in workers} == {request_id}


def test_a_trace_survives_the_relays_delayed_publish(platform, spans, monkeypatch):
    """Tracking commits conversion_attributed but its relay never gets it (as after a
    crash between commit and publish): the sweep publishes the outbox row later, and
    commissions' span still joins the trace and links to tracking's span."""
    api, config = platform
    brand_id, click_id = _enrolled_click(api, config)
    swept_before = metrics.OUTBOX_PUBLISHED.labels("tracking", "sweep")._value.get()
    original = OutboxRelay.publish_committed

    def lose_conversions(self, messages):
        kept = [m for m in messages if m.type != "conversion_attributed"]
        if kept:
            original(self, kept)

    monkeypatch.setattr(OutboxRelay, "publish_committed", lose_conversions)
    answer, _ = _post_conversion(api, brand_id, click_id)
    trace_id = tracing.parse(answer.headers["traceparent"]).trace_id
    found = _trace(spans, trace_id, until={"tracking.conversion_attributed process"})
    served = next(s for s in found if s.name == "tracking.record_conversion"
                  and _service(s) == "tracking")
    consumer = next(s for s in found if s.name == "tracking.conversion_attributed process")
    assert consumer.parent.span_id == served.context.span_id
    assert [link.context.span_id for link in consumer.links] == [served.context.span_id]
    assert metrics.OUTBOX_PUBLISHED.labels("tracking", "sweep")._value.get() > swept_before
