"""Webhook endpoints over HTTP: a live BFF with the real webhooks service (SQLite), fake
services for the rest, and a real receiver on 127.0.0.1.

A brand subscribes, sends a test event, reads its delivery log, replays, rotates its
secret, disables and deletes; another brand's endpoint and deliveries answer exactly
like missing ones; admins create brands' and partners' endpoints; members read only."""
from __future__ import annotations

import time
import uuid

import pytest
from nameko.testing.utils import find_free_port

from services.bff.service import BffService
from services.bff.tokens import mint
from services.webhooks.service import WebhooksService
from tests.integration.bff import fakes
from tests.integration.bff.client import Api
from tests.integration.webhooks.world import webhooks_config
from tests.support import read_model, service_config, wait_for
from tests.webhook_receiver import Receiver, verifies

ENDPOINTS = "/api/v1/webhooks/endpoints"


@pytest.fixture
def api(container_factory, rabbit_config, make_db_uri, jwt_secret):
    fakes.CALLS.clear()
    container_factory(WebhooksService,
                      webhooks_config(rabbit_config, make_db_uri, "sqlite")).start()
    for fake in fakes.FAKES:
        if fake.name != "webhooks":
            container_factory(fake, service_config(rabbit_config, {})).start()
    port = find_free_port()
    config = service_config(rabbit_config, read_model(make_db_uri),
                            WEB_SERVER_ADDRESS=f"127.0.0.1:{port}")
    container_factory(BffService, config).start()
    return Api(f"http://127.0.0.1:{port}", config)


@pytest.fixture
def receiver():
    with Receiver() as receiver:
        yield receiver


def error_without_request_id(answer) -> dict:
    return {k: v for k, v in answer.json()["error"].items() if k != "request_id"}


def test_a_brand_manages_its_endpoint_and_reads_its_delivery_log(api, receiver):
    brand = api.brand(fakes.BRAND_A)
    created = api.post(ENDPOINTS, brand, json={
        "url": receiver.url, "event_types": ["commission.created", "conversion.attributed"],
        "description": "shop backend", "brand_id": fakes.BRAND_B})  # ignored: the token decides
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert endpoint["owner_id"] == fakes.BRAND_A and endpoint["secret"].startswith("whsec_")
    path = f"{ENDPOINTS}/{endpoint['endpoint_id']}"
    read = api.get(path, brand).json()
    assert "secret" not in read and read["status"] == "ENABLED"
    assert [e["endpoint_id"] for e in api.get(ENDPOINTS, brand).json()["items"]] == [
        endpoint["endpoint_id"]]

    tested = api.post(f"{path}/test", brand)
    assert tested.status_code == 202 and tested.json()["event_type"] == "webhook.test"
    [request] = receiver.wait_for(1)
    assert verifies(endpoint["secret"], request)
    assert request.webhook_id == tested.json()["webhook_id"]
    log = wait_for(lambda: (page := api.get(f"{path}/deliveries", brand).json())["items"]
                   and page["items"][0]["status"] == "DELIVERED" and page, message="log")
    [attempt] = log["items"][0]["attempt_log"]
    assert attempt["status_code"] == 200 and attempt["outcome"] == "delivered"
    delivery_path = f"/api/v1/webhooks/deliveries/{tested.json()['delivery_id']}"
    assert api.get(delivery_path, brand).json()["payload"]["type"] == "webhook.test"
    assert api.post(f"{delivery_path}/replay", brand).status_code == 200
    assert receiver.wait_for(2)[1].webhook_id == request.webhook_id

    rotated = api.post(f"{path}/rotate-secret", brand, json={"grace_seconds": 60}).json()
    assert rotated["secret"] != endpoint["secret"] and rotated["previous_secret_expires_at"]
    changed = api.patch(path, brand, json={"event_types": ["payout.paid"]}).json()
    assert changed["event_types"] == ["payout.paid"]
    assert api.post(f"{path}/disable", brand).json()["status"] == "DISABLED"
    assert api.post(f"{path}/test", brand).json()["error"]["code"] == "endpoint_disabled"
    assert api.post(f"{path}/enable", brand).json()["status"] == "ENABLED"
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    assert api.post(f"{path}/replay", brand, json={"since": since}).json()["replayed"] == 1
    summary = api.get("/api/v1/webhooks/summary", brand).json()
    assert summary["endpoints"] == {"total": 1, "enabled": 1, "disabled": 0}
    types = api.get("/api/v1/webhooks/event-types", brand).json()["items"]
    assert {"commission.created", "budget.exhausted"} <= {t["type"] for t in types}
    assert all(t["fields"] for t in types)
    assert api.request("DELETE", path, brand).json() == {
        "endpoint_id": endpoint["endpoint_id"], "deleted": True}
    assert api.get(path, brand).status_code == 404


def test_another_brands_endpoint_and_deliveries_answer_like_missing_ones(api, receiver):
    a, b = api.brand(fakes.BRAND_A), api.brand(fakes.BRAND_B)
    endpoint = api.post(ENDPOINTS, a, json={"url": receiver.url,
                                            "event_types": ["commission.created"]}).json()
    delivery = api.post(f"{ENDPOINTS}/{endpoint['endpoint_id']}/test", a).json()
    path = f"{ENDPOINTS}/{endpoint['endpoint_id']}"
    missing = api.get(f"{ENDPOINTS}/{uuid.uuid4()}", b)
    for method, target, body in (
            ("GET", path, None), ("PATCH", path, {"description": "mine now"}),
            ("DELETE", path, None), ("POST", f"{path}/disable", None),
            ("POST", f"{path}/rotate-secret", {}), ("POST", f"{path}/test", None),
            ("GET", f"{path}/deliveries", None),
            ("GET", f"/api/v1/webhooks/deliveries/{delivery['delivery_id']}", None),
            ("POST", f"/api/v1/webhooks/deliveries/{delivery['delivery_id']}/replay", None)):
        answer = api.request(method, target, b, json=body)
        assert answer.status_code == 404, (method, target, answer.text)
        assert error_without_request_id(answer) == error_without_request_id(missing)
        assert endpoint["endpoint_id"] not in answer.text
    assert api.get(ENDPOINTS, b).json()["items"] == []
    assert api.get(path, a).json()["status"] == "ENABLED"  # nothing changed
    partner = api.partner(fakes.PARTNER_A)
    assert api.get(path, partner).status_code == 404
    assert api.get(ENDPOINTS, partner).json()["items"] == []


def test_a_partner_manages_its_own_endpoints_for_the_events_partners_receive(api, receiver):
    partner, other = api.partner(fakes.PARTNER_A), api.partner(str(uuid.uuid4()))
    offered = api.get("/api/v1/webhooks/event-types", partner).json()
    names = {kind["type"] for kind in offered["items"]}
    assert "payout.paid" in names and "conversion.rejected" not in names  # brands' only
    refused = api.post(ENDPOINTS, partner, json={
        "url": receiver.url, "event_types": ["conversion.rejected"]})
    assert refused.status_code == 422 and "event_types" in refused.json()["error"]["fields"]
    named = api.post(ENDPOINTS, partner, json={
        "url": receiver.url, "event_types": ["payout.paid"], "brand_id": fakes.BRAND_A})
    assert named.status_code == 422 and "brand_id" in named.json()["error"]["fields"]
    created = api.post(ENDPOINTS, partner, json={
        "url": receiver.url, "event_types": ["payout.paid", "commission.approved"]})
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert (endpoint["owner_type"], endpoint["owner_id"]) == ("partner", fakes.PARTNER_A)
    path = f"{ENDPOINTS}/{endpoint['endpoint_id']}"
    test = api.post(f"{path}/test", partner)
    assert test.status_code == 202, test.text
    [body] = receiver.wait_for(1)
    assert verifies(endpoint["secret"], body)
    assert api.get(ENDPOINTS, partner).json()["total"] == 1
    assert api.get(f"{path}/deliveries", partner).json()["total"] == 1
    assert api.get("/api/v1/webhooks/summary", partner).status_code == 200
    assert api.get(path, other).status_code == 404  # another partner's: like a missing one
    assert api.get(ENDPOINTS, other).json()["items"] == []
    assert api.request("DELETE", path, partner).status_code == 200


def test_admins_name_the_owner_and_brand_members_only_read(api, receiver):
    admin = api.admin()
    for body, field in (({}, "brand_id"),
                        ({"brand_id": fakes.BRAND_A, "partner_id": fakes.PARTNER_A}, "brand_id"),
                        ({"brand_id": str(uuid.uuid4())}, "brand_id")):
        answer = api.post(ENDPOINTS, admin, json={
            "url": receiver.url, "event_types": ["commission.created"], **body})
        assert answer.status_code == 422 and field in answer.json()["error"]["fields"], body
    for_brand = api.post(ENDPOINTS, admin, json={
        "url": receiver.url, "event_types": ["commission.created"], "brand_id": fakes.BRAND_A})
    for_partner = api.post(ENDPOINTS, admin, json={
        "url": receiver.url, "event_types": ["commission.paid"], "partner_id": fakes.PARTNER_A})
    assert for_brand.json()["owner_type"] == "brand"
    assert for_partner.json()["owner_type"] == "partner"
    assert api.get(ENDPOINTS, admin).json()["total"] == 2
    assert api.get(ENDPOINTS, admin, params={"partner_id": fakes.PARTNER_A}).json()[
        "total"] == 1
    refused = api.post(ENDPOINTS, api.brand(fakes.BRAND_A), json={
        "url": receiver.url, "event_types": ["commission.paid"], "partner_id": fakes.PARTNER_A})
    assert refused.status_code == 422 and "partner_id" in refused.json()["error"]["fields"]
    bad = api.post(ENDPOINTS, api.brand(fakes.BRAND_A), json={
        "url": "ftp://hooks.example.com/", "event_types": ["nope"]})
    assert bad.status_code == 422 and {"event_types"} <= set(bad.json()["error"]["fields"])
    bad_url = api.post(ENDPOINTS, api.brand(fakes.BRAND_A), json={
        "url": "ftp://hooks.example.com/", "event_types": ["commission.created"]})
    assert bad_url.status_code == 422 and "url" in bad_url.json()["error"]["fields"]
    member = mint("brand", fakes.BRAND_A)  # a bearer token is the brand itself: it manages
    assert api.get(f"{ENDPOINTS}/{for_brand.json()['endpoint_id']}", member).status_code == 200
