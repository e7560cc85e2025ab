"""Metrics, trace context and JSON logs, without a broker: what is counted, and how.

Label cardinality stays bounded: a workload full of ids (event payloads, odd HTTP
methods, free-text reasons) leaves no id, email, address or amount in any label.
"""
from __future__ import annotations

import json
import logging

from prometheus_client import REGISTRY, generate_latest

from common.nameko import business, metrics, tracing
from common.nameko.context import CorrelationFilter
from common.nameko.logs import JsonFormatter
from common.nameko.observability import metrics_settings
from common.seedwork.application.integration import (
    IntegrationEvent,
    MessageContext,
    receive,
)
from tests.observability import assert_bounded, parse, value

PARTNER = "7f1c7a4e-6a55-4a43-b0c5-2f6f1c9a1d11"


def event(source: str, type_: str, payload: dict) -> IntegrationEvent:
    return IntegrationEvent.new(source=source, type=type_, version=1, payload=payload)


def samples():
    return parse(generate_latest(REGISTRY).decode())


def test_business_counters_from_committed_events_amounts_in_minor_units():
    before = samples()
    business.count_committed([
        event("tracking", "conversion_attributed", {
            "partner_id": PARTNER, "order_amount": {"amount": "200.00", "currency": "USD"}}),
        event("tracking", "conversion_rejected", {"partner_id": PARTNER,
                                                  "reason": "self_referral"}),
        event("tracking", "conversion_rejected", {"reason": "Weird Free Text 123456"}),
        event("commissions", "commission_created", {"status": "PENDING",
            "commission_id": PARTNER, "amount": {"amount": "1234", "currency": "JPY"}}),
        event("commissions", "commission_created", {  # no hold: approved from the start
            "status": "APPROVED", "amount": {"amount": "1", "currency": "JPY"}}),
        event("commissions", "commission_approved", {"status": "APPROVED"}),  # a hold ended
        event("commissions", "commission_reversed", {
            "reversed_amount": {"amount": "1.005", "currency": "KWD"}}),
        event("payouts", "payout_paid", {"amount": {"amount": "20.00", "currency": "EUR"}}),
        event("payouts", "payout_failed", {"reason": f"declined for {PARTNER}"}),
        event("partners", "partner_registered", {"email": "ana@example.com"}),
    ])
    after = samples()

    def moved(name, **labels):
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    assert moved("alpes_conversions_total", outcome="attributed", reason="none") == 1
    assert moved("alpes_conversions_total", outcome="rejected", reason="self_referral") == 1
    assert moved("alpes_conversions_total", outcome="rejected", reason="other") == 1
    assert moved("alpes_amount_minor_units_total", kind="conversion_attributed",
                 currency="USD") == 20000
    assert moved("alpes_amount_minor_units_total", kind="commission_created",
                 currency="JPY") == 1235
    assert moved("alpes_amount_minor_units_total", kind="commission_reversed",
                 currency="KWD") == 1005
    assert moved("alpes_amount_minor_units_total", kind="payout_paid", currency="EUR") == 2000
    assert moved("alpes_commissions_total", outcome="created") == 2
    assert moved("alpes_commissions_total", outcome="approved") == 2
    assert moved("alpes_payouts_total", outcome="failed") == 1
    assert moved("alpes_integration_events_total", source="partners",
                 type="partner_registered") == 1
    assert_bounded(after)


def test_a_malformed_amount_is_not_counted_and_never_raises():
    assert business.minor_units({"amount": "x", "currency": "USD"}) is None
    assert business.minor_units({"amount": "1", "currency": "XXX"}) is None
    assert business.minor_units("12.50 USD") is None
    business.count_committed([event("tracking", "conversion_attributed", {})])
    business.count_committed([object()])  # not even an event


def test_clicks_by_reason_and_http_labels_bounded():
    class Click:
        def __init__(self, reason):
            self.click_id, self.reason = PARTNER, reason

    before = value(samples(), "alpes_clicks_total", reason="none") or 0
    business.count_clicks([Click(None), Click(None), Click("click_flooding"), ValueError()])
    assert value(samples(), "alpes_clicks_total", reason="none") == before + 2
    assert metrics.http_method("BREW") == "OTHER" and metrics.http_method("GET") == "GET"
    assert metrics.status_class(201) == "2xx" and metrics.status_class(999) == "other"
    assert_bounded(samples())


def test_metrics_ports_per_service_and_the_override():
    config = {"METRICS": {"enabled": "true", "port_base": 9400, "port": "",
                          "offsets": {"bff": 0, "tracking": 3}}}
    assert metrics_settings(config, "tracking")["port"] == 9403
    assert metrics_settings(config, "echo")["port"] is None  # not listed: no endpoint
    assert metrics_settings({**config, "METRICS": {**config["METRICS"], "port": "9500"}},
                            "tracking")["port"] == 9500
    assert metrics_settings({}, "tracking")["enabled"] is False  # no section: off


def test_traceparent_parsed_strictly_and_carried_by_the_envelope():
    good = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    parsed = tracing.parse(good)
    assert parsed.trace_id == 0x0AF7651916CD43DD8448EB211C80319C and parsed.is_remote
    assert tracing.format_context(parsed) == good
    for bad in (None, "", "00-xyz", "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                "00-00000000000000000000000000000000-b7ad6b7169203331-01", 42):
        assert tracing.parse(bad) is None, bad
    message = IntegrationEvent.new(source="tracking", type="conversion_attributed",
                                   version=1, payload={},
                                   context=MessageContext(traceparent=good))
    body = message.to_message()
    assert body["traceparent"] == good
    assert IntegrationEvent.from_message(body).traceparent == good
    assert "traceparent" not in IntegrationEvent.new(
        source="tracking", type="x", version=1, payload={}).to_message()  # off: as before
    assert IntegrationEvent.from_message({**body, "traceparent": 7}).traceparent is None


def test_a_consumer_reads_the_producers_traceparent():
    from common.contracts import partners
    from common.contracts.examples import example

    good = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    body = IntegrationEvent.new(source="partners", type="partner_registered", version=1,
                                payload=example(partners.PARTNER_REGISTERED),
                                context=MessageContext(traceparent=good)).to_message()
    assert receive(body, partners.PARTNER_REGISTERED).traceparent == good


def test_json_log_lines_carry_the_ids():
    record = logging.LogRecord("services.tracking", logging.INFO, __file__, 1,
                               "recorded %d click(s)", (3,), None)
    CorrelationFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "recorded 3 click(s)" and line["level"] == "INFO"
    assert line["logger"] == "services.tracking" and line["time"].endswith("Z")
    assert line["correlation_id"] == "-"
    assert line["trace_id"] is None and line["span_id"] is None  # no span: tracing off


# the per-worker part of Observability, on a stand-in container ----------------------------
class _Container:
    service_name, max_workers, dependencies, entrypoints = "tracking", 10, (), ()

    def __init__(self, config):
        self.config = config


def _observability(config):
    from common.nameko.observability import Observability

    provider = Observability()
    provider.container = _Container(config)
    provider.setup()
    return provider


def _rpc_entrypoint(method: str):
    from nameko.rpc import Rpc

    from common.nameko.errors import EXPECTED_ERRORS

    entrypoint = Rpc(expected_exceptions=EXPECTED_ERRORS)
    entrypoint.method_name = method
    return entrypoint


class _Worker:
    def __init__(self, entrypoint, data=None, args=()):
        self.entrypoint, self.data, self.args = entrypoint, dict(data or {}), args
        self.service_name = "tracking"


def _run(provider, worker, error: Exception | None = None):
    provider.worker_setup(worker)
    exc_info = (type(error), error, None) if error else None
    provider.worker_result(worker, None, exc_info)
    provider.worker_teardown(worker)


def test_rpc_outcomes_ok_refused_and_error():
    from common.seedwork.errors import NotFound, ServiceUnavailable

    provider = _observability({"METRICS": {"enabled": True}})
    entrypoint = _rpc_entrypoint("get_conversion")
    before = samples()
    for error in (None, None, NotFound("no such conversion"), RuntimeError("bug"),
                  ServiceUnavailable("database down")):
        _run(provider, _Worker(entrypoint), error)
    after = samples()

    def moved(outcome):
        name = "alpes_rpc_server_duration_seconds_count"
        labels = {"service": "tracking", "method": "get_conversion", "outcome": outcome}
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    assert (moved("ok"), moved("refused"), moved("error")) == (2, 1, 2)


def test_metrics_and_tracing_off_time_no_worker():
    provider = _observability({"METRICS": {"enabled": False}})
    worker = _Worker(_rpc_entrypoint("campaign_stats"))
    _run(provider, worker)
    assert value(samples(), "alpes_rpc_server_duration_seconds_count",
                 method="campaign_stats") is None
    assert "traceparent" not in worker.data


def test_a_worker_span_continues_the_callers_trace_and_passes_its_own_on():
    exporter = tracing.memory_exporter()
    exporter.clear()
    provider = _observability({"TRACING": {"enabled": True, "exporter": "memory"}})
    caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    worker = _Worker(_rpc_entrypoint("record_conversion"),
                     {"traceparent": caller, "correlation_id": "req-1"})
    provider.worker_setup(worker)
    passed_on = tracing.parse(worker.data["traceparent"])
    assert tracing.current_traceparent() == worker.data["traceparent"]  # current meanwhile
    provider.worker_result(worker, None, None)
    provider.worker_teardown(worker)
    assert tracing.current_traceparent() is None
    [span] = exporter.get_finished_spans()
    assert span.name == "tracking.record_conversion" and span.kind.name == "SERVER"
    assert span.context.trace_id == tracing.parse(caller).trace_id
    assert span.parent.span_id == tracing.parse(caller).span_id
    assert span.context.span_id == passed_on.span_id
    assert span.attributes["alpes.correlation_id"] == "req-1"
    assert span.attributes["alpes.outcome"] == "ok"
    exporter.clear()


def test_the_metrics_port_is_never_shared_by_two_processes():
    import requests

    first = metrics.MetricsServer("127.0.0.1", 0)
    assert first.start()
    try:
        answer = requests.get(f"http://127.0.0.1:{first.port}/metrics", timeout=5)
        assert answer.status_code == 200 and "# HELP alpes_outbox_backlog" in answer.text
        assert requests.get(f"http://127.0.0.1:{first.port}/", timeout=5).status_code == 404
        second = metrics.MetricsServer("127.0.0.1", first.port)
        assert not second.start()  # refused (a warning), not load-balanced with the first
    finally:
        first.stop()


def test_make_runs_banner_says_where_each_metrics_endpoint_is():
    from tools.stack import Stack

    banner = Stack(["partners", "tracking"], env={"METRICS_PORT_BASE": "9500"}).describe()
    assert "  metrics  : GET /metrics on 127.0.0.1: partners 9501, tracking 9503" in banner
    off = Stack(["partners"], env={"METRICS_ENABLED": "false"}).describe()
    assert "metrics" not in off
