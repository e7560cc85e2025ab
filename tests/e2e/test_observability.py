"""Metrics, traces and JSON logs of the platform run as `make run` runs it.

Every service is a `nameko run` process with its `/metrics` port (``METRICS_PORT_BASE``
+ its offset), tracing on (in-memory exporter: the log lines carry trace ids) and
``LOG_FORMAT=json``. After the README's story over HTTP -- a logged-in admin, an API key,
a partner with a password, a click, a conversion, its commission -- each endpoint shows
the documented metrics, the business counters say 1 click, 1 conversion attributed and
1 commission created, and the RPC and HTTP histograms have samples. Every log line is a
JSON object with the correlation, trace and span ids, and no password, API key,
session cookie, CSRF token, JWT or payload is in any of them.

Then a handler broken on purpose (``fail_handler``): its deliveries fail, are retried,
then dead-lettered; the counters and the DLQ-depth gauge move, and the alert rule
``DeadLettersPresent`` (docker/prometheus/alerts.yml) fires on those very series.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import uuid

import pytest
import requests
from nameko.exceptions import RpcTimeout
from nameko.standalone.rpc import ClusterRpcProxy

from common.nameko import tracing
from tests.e2e.conftest import BIN, ROOT
from tests.observability import OtlpSink, alert_fires, free_port_block, scrape, value
from tests.stack_fixtures import config_for
from tests.support import wait_for

SERVICES = ("partners", "campaigns", "tracking", "commissions", "payouts", "identity",
            "webhooks", "bff")
OFFSETS = {"bff": 0, "partners": 1, "campaigns": 2, "tracking": 3, "commissions": 4,
           "payouts": 5, "identity": 6, "webhooks": 7}
SECRET = f"e2e-{uuid.uuid4().hex}{uuid.uuid4().hex}"
ADMIN_PASSWORD = f"admin pass {uuid.uuid4().hex[:8]}"
PARTNER_PASSWORD = f"partner pass {uuid.uuid4().hex[:8]}"
PARTNER_IP, VISITOR_IP = "203.0.113.10", "198.51.100.77"


def observed_env(**extra) -> tuple[dict, int]:
    base = free_port_block(len(OFFSETS) + 1)
    return {"METRICS_PORT_BASE": str(base + 1), "METRICS_REFRESH_SECONDS": "0.3",
            "ALPES_JWT_SECRET": SECRET, "WEB_SERVER_ADDRESS": f"127.0.0.1:{base}",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{base}", **extra}, base


def metrics_of(env: dict, service: str) -> dict:
    return scrape(f"http://127.0.0.1:{int(env['METRICS_PORT_BASE']) + OFFSETS[service]}/metrics")


def create_admin(env: dict, email: str) -> None:
    result = subprocess.run(
        [str(BIN / "alpes"), "--config", "config.yaml", "users", "create-admin", "--email",
         email, "--password-stdin"], input=ADMIN_PASSWORD + "\n", cwd=ROOT,
        env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_metrics_json_logs_and_traces_after_the_walkthrough(start_stack, e2e_env, tmp_path):
    env, port = observed_env(
        LOG_FORMAT="json", TRACING_ENABLED="true", TRACING_EXPORTER="memory",
        BFF_TRUST_FORWARDED_FOR="true", TRACKING_TOO_FAST_SECONDS="0",
        ARGON2_TIME_COST="1", ARGON2_MEMORY_COST_KIB="8192")
    start_stack(*SERVICES, extra_env=env)
    api = f"http://127.0.0.1:{port}"
    create_admin({**e2e_env, **env}, "ops@example.com")

    # the admin logs in (cookie + CSRF), registers a brand and gives it an API key
    admin = requests.Session()
    login = admin.post(f"{api}/api/v1/auth/login",
                       json={"email": "ops@example.com", "password": ADMIN_PASSWORD})
    assert login.status_code == 200, login.text
    csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
    brand_id = admin.post(f"{api}/api/v1/brands", headers=csrf,
                          json={"name": "Acme", "currency": "USD"}).json()["brand_id"]
    created = admin.post(f"{api}/api/v1/brands/{brand_id}/api-keys", headers=csrf,
                         json={"name": "shop", "scopes": ["conversions:write"]})
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    with ClusterRpcProxy(config_for({**e2e_env, **env}), timeout=10) as rpc:
        campaign = rpc.campaigns.create_campaign({
            "brand_id": brand_id, "name": "Spring", "currency": "USD",
            "budget": {"amount": "1000.00", "currency": "USD"},
            "landing_url": "https://shop.example.com/spring",
            "terms": {"model": "CPS", "rate": "0.10", "attribution_window_days": 30,
                      "hold_days": 0}})
        rpc.campaigns.activate_campaign(campaign["campaign_id"], brand_id)

    # a partner signs up with a password; the admin verifies and activates it
    email = f"bea-{uuid.uuid4().hex[:6]}@example.com"
    signup = requests.post(f"{api}/api/v1/partners/signup", headers={
        "X-Forwarded-For": PARTNER_IP}, json={
        "name": "Bea", "email": email, "type": "affiliate", "country": "ES",
        "password": PARTNER_PASSWORD, "payout_method": {"type": "paypal", "email": email}})
    assert signup.status_code == 201, signup.text
    jwt = signup.json()["token"]["access_token"]
    partner_id = signup.json()["partner"]["partner_id"]
    for step in ("verify", "activate"):
        assert admin.post(f"{api}/api/v1/partners/{partner_id}/{step}",
                          headers=csrf).status_code == 200
    partner = {"Authorization": f"Bearer {jwt}", "X-Forwarded-For": PARTNER_IP}

    def enroll():
        answer = requests.post(f"{api}/api/v1/partners/{partner_id}/enrollments",
                               headers=partner, json={"campaign_id": campaign["campaign_id"]})
        return answer.json() if answer.status_code == 201 else None

    code = wait_for(enroll, timeout=30, interval=0.3, message="enrollment")["referral_code"]

    def follow():
        answer = requests.get(f"{api}/r/{code}", allow_redirects=False,
                              headers={"X-Forwarded-For": VISITOR_IP, "User-Agent": "e2e"})
        return answer if answer.status_code == 302 else None

    click_id = wait_for(follow, timeout=30, interval=0.3, message="redirect").headers[
        "Location"].split("click_id=")[1]
    order_id = f"order-{uuid.uuid4().hex}"
    request_id = f"req-{uuid.uuid4().hex}"
    posted = requests.post(f"{api}/api/v1/conversions", headers={
        "Authorization": f"Bearer {key}", "X-Request-Id": request_id}, json={
        "order_id": order_id, "amount": "200.00", "currency": "USD", "click_id": click_id,
        "customer_ip": VISITOR_IP})
    assert posted.status_code == 201 and posted.json()["status"] == "ATTRIBUTED", posted.text
    trace_id = f"{tracing.parse(posted.headers['traceparent']).trace_id:032x}"

    # every service's endpoint, and the counters of the story
    def commission_created():
        return value(metrics_of(env, "commissions"), "alpes_commissions_total",
                     outcome="created") == 1

    wait_for(commission_created, timeout=30, interval=0.3, message="commission created")
    scraped = {service: metrics_of(env, service) for service in SERVICES}
    for service, families in scraped.items():
        assert value(families, "alpes_service_info", service=service, tracing="true") == 1
        assert value(families, "alpes_workers_max", service=service) > 0
        assert "process_resident_memory_bytes" in families, service
        if service != "bff":
            assert value(families, "alpes_outbox_backlog", service=service) is not None, service
    for service in ("campaigns", "tracking", "commissions", "payouts", "webhooks"):
        assert value(scraped[service], "alpes_dead_letter_queue_depth", service=service) == 0
    tracking, commissions, bff = scraped["tracking"], scraped["commissions"], scraped["bff"]
    assert value(tracking, "alpes_clicks_total", reason="none") == 1
    assert value(tracking, "alpes_conversions_total", outcome="attributed", reason="none") == 1
    assert value(tracking, "alpes_amount_minor_units_total", kind="conversion_attributed",
                 currency="USD") == 20000
    assert value(commissions, "alpes_amount_minor_units_total", kind="commission_created",
                 currency="USD") == 2000
    assert value(tracking, "alpes_rpc_server_duration_seconds_count",
                 method="record_conversion", outcome="ok") == 1
    assert value(commissions, "alpes_event_deliveries_total",
                 handler="commissions.on_conversion_attributed", outcome="processed") == 1
    assert value(bff, "alpes_http_server_duration_seconds_count", method="POST",
                 route="/api/v1/conversions", status_class="2xx") == 1
    assert value(bff, "alpes_rpc_client_duration_seconds_count",
                 target="tracking.record_conversion", outcome="ok") == 1
    assert value(tracking, "alpes_outbox_published_total", path="relay") >= 1

    # tracking's replica cache: the referral target read from the database once, then held
    def replica_cache_reported():
        families = metrics_of(env, "tracking")
        return (value(families, "alpes_replica_cache_lookups_total", service="tracking",
                      kind="targets", outcome="miss") or 0) >= 1 and (
            value(families, "alpes_replica_cache_entries", service="tracking",
                  kind="targets") or 0) >= 1

    wait_for(replica_cache_reported, timeout=10, interval=0.3, message="replica cache metrics")

    # JSON lines with the ids; the conversion's lines carry its trace
    records = []
    for path in (tmp_path / "logs").glob("*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if line.strip():
                record = json.loads(line)  # every line is one JSON object
                assert {"time", "level", "logger", "correlation_id", "trace_id",
                        "span_id", "message"} <= set(record), record
                records.append(record)
    mine = [r for r in records if r["correlation_id"] == request_id and r["trace_id"]]
    assert mine and {r["trace_id"] for r in mine} == {trace_id}

    # no secret, token or payload in any of them
    logs = "\n".join(json.dumps(r) for r in records)
    for name, secret in {"admin password": ADMIN_PASSWORD,
                         "partner password": PARTNER_PASSWORD, "API key": key,
                         "session cookie": admin.cookies.get("alpes_session"),
                         "CSRF token": csrf["X-CSRF-Token"], "JWT": jwt,
                         "JWT secret": SECRET, "order id (payload)": order_id,
                         "partner email (payload)": email}.items():
        assert secret and secret not in logs, name
    assert "ak_live_" not in logs and "eyJ" not in logs


def register(rpc, name: str) -> str:
    email = f"{name.lower()}-{uuid.uuid4().hex[:6]}@example.com"
    return rpc.partners.register_partner({
        "name": name, "email": email, "type": "affiliate", "country": "ES",
        "payout_method": {"type": "paypal", "email": email}})["partner_id"]


def test_a_broken_handler_moves_the_dead_letter_series_and_the_alert_fires(start_stack):
    handler = "campaigns.on_partner_activated"
    env, _ = observed_env(ALPES_FAULTS=f"fail_handler:{handler}",
                          EVENT_RETRY_MAX_ATTEMPTS="2")
    stack = start_stack("partners", "campaigns", extra_env=env)
    with ClusterRpcProxy(stack.config(), timeout=10) as rpc:
        partner_id = register(rpc, "Cid")
        rpc.partners.verify_partner(partner_id)
        rpc.partners.activate_partner(partner_id)

    def dead_lettered():
        families = metrics_of(env, "campaigns")
        if value(families, "alpes_dead_letter_queue_depth", service="campaigns") == 1:
            return families
        return None

    families = wait_for(dead_lettered, timeout=30, interval=0.3, message="a dead letter")
    assert value(families, "alpes_event_deliveries_total", handler=handler,
                 outcome="failed") == 2
    assert value(families, "alpes_event_deliveries_total", handler=handler,
                 outcome="retried") == 1
    assert value(families, "alpes_event_deliveries_total", handler=handler,
                 outcome="dead_lettered") == 1
    assert value(families, "alpes_dead_letters_total", handler=handler,
                 reason="handler_failed") == 1
    assert value(families, "alpes_event_deliveries_total", handler=handler,
                 outcome="processed") in (None, 0)
    assert alert_fires("DeadLettersPresent", families)


def test_a_trace_survives_a_crash_between_commit_and_publish(start_stack, event_probe):
    """Partners dies (SIGKILL) after committing partner_activated and before publishing
    it; restarted, its sweep publishes the outbox row -- whose envelope kept the
    producing span's traceparent -- and campaigns' span joins the caller's trace,
    linked to the span that died with the process."""
    sink = OtlpSink()
    traced = {"TRACING_ENABLED": "true", "TRACING_EXPORTER": "otlp",
              "TRACING_ENDPOINT": sink.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"}
    try:
        stack = start_stack("partners", "campaigns", extra_env={
            **traced, "ALPES_FAULTS": "crash_after_commit:partner_activated"})
        probe = event_probe("partners")
        caller = f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"
        with ClusterRpcProxy(stack.config(), timeout=10) as rpc:
            partner_id = register(rpc, "Dee")
            rpc.partners.verify_partner(partner_id)
        with ClusterRpcProxy(stack.config(), timeout=3,
                             context_data={"traceparent": caller}) as rpc:
            with pytest.raises(RpcTimeout):
                rpc.partners.activate_partner(partner_id)
        partners = stack.processes["partners"]
        wait_for(lambda: not partners.running, message="the crash")
        assert partners.process.returncode == -signal.SIGKILL

        stack.restart("partners", extra_env={**traced, "ALPES_FAULTS": ""})
        [event] = wait_for(lambda: probe.of_type("partner_activated"), timeout=20,
                           message="the swept event")
        trace_id = tracing.parse(caller).trace_id
        producer = tracing.parse(event["traceparent"])
        assert producer.trace_id == trace_id  # kept in the outbox row across the crash

        def consumed():
            return [span for service, span in sink.of_trace(trace_id)
                    if service == "campaigns" and span.name ==
                    "partners.partner_activated process"]

        [span] = wait_for(consumed, timeout=20, message="campaigns' span")
        assert span.parent_span_id == producer.span_id.to_bytes(8, "big")
        assert [link.span_id for link in span.links] == [producer.span_id.to_bytes(8, "big")]
    finally:
        sink.close()
