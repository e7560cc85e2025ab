"""The HTTP edge on a live BFF container: request ids, routing errors, limits, timeouts."""
from __future__ import annotations

import logging

import eventlet
import pytest
import requests

from common.nameko import context
from common.nameko.rpc import api as rpc_api
from services.bff.auth import SECRET_ENV
from services.bff.tokens import mint
from tests.integration.bff import fakes
from tests.integration.bff.client import new_id
from tests.integration.bff.conftest import SECRET


class EchoPartners:
    """Answers get_partner with the correlation id it received, as the partner's name."""

    name = "partners"
    correlation_id = context.CorrelationId()

    @rpc_api
    def get_partner(self, partner_id):
        return {"partner_id": partner_id, "name": self.correlation_id}


class SlowPartners:
    name = "partners"

    @rpc_api
    def get_partner(self, partner_id):
        eventlet.sleep(3)
        return {"partner_id": partner_id}


class BrokenPartners:
    name = "partners"

    @rpc_api
    def get_partner(self, partner_id):
        raise RuntimeError('File "/srv/services/partners/views.py", line 9: KeyError')


@pytest.fixture
def api(start_bff):
    return start_bff(rpc_timeout_seconds=1, max_body_bytes=1024)


def test_the_request_id_is_accepted_returned_and_passed_through_rpc(api, start_service):
    start_service(EchoPartners)
    partner_id = new_id()
    answer = api.get(f"/api/v1/partners/{partner_id}", api.partner(partner_id),
                     headers={"X-Request-Id": "trace-abc.123"})
    assert answer.status_code == 200
    assert answer.headers["X-Request-Id"] == "trace-abc.123"
    assert answer.json()["name"] == "trace-abc.123"


def test_a_missing_or_unsafe_request_id_is_replaced(api, start_service):
    start_service(EchoPartners)
    partner_id = new_id()
    answer = api.get(f"/api/v1/partners/{partner_id}", api.partner(partner_id),
                     headers={"X-Request-Id": "evil\tid with spaces"})
    generated = answer.headers["X-Request-Id"]
    assert generated != "evil\tid with spaces" and answer.json()["name"] == generated
    assert api.get("/nowhere").headers["X-Request-Id"]


def test_unknown_routes_and_methods_answer_json(api):
    missing = api.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "route_not_found"
    assert missing.json()["error"]["request_id"] == missing.headers["X-Request-Id"]
    wrong = api.request("DELETE", "/api/v1/partners/signup")
    assert wrong.status_code == 405 and "POST" in wrong.headers["Allow"]
    assert wrong.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("path", [
    "/api/v1/partners//commissions",
    "/api/v1//brands",
    "/api/v1/brands/",
])
def test_a_path_with_an_empty_segment_is_no_route_in_json(api, path):
    """Not werkzeug's HTML 308 to the path with merged slashes (another resource)."""
    answer = api.get(path, api.admin())
    assert answer.status_code == 404, (answer.status_code, answer.headers)
    assert answer.json()["error"]["code"] == "route_not_found"
    assert answer.json()["error"]["request_id"] == answer.headers["X-Request-Id"]


def test_bodies_over_the_limit_are_413_declared_or_streamed(api):
    admin = api.admin()
    declared = api.post(f"/api/v1/partners/{new_id()}/suspend", admin,
                        json={"reason": "x" * 2000})
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "payload_too_large"

    def chunks():
        yield b'{"reason": "'
        for _ in range(40):
            yield b"x" * 100
        yield b'"}'

    streamed = api.post(f"/api/v1/partners/{new_id()}/suspend", admin, data=chunks(),
                        headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413, streamed.text


def test_a_service_that_is_not_running_is_503(api):
    answer = api.get(f"/api/v1/partners/{new_id()}", api.admin())
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "service_unavailable"


def test_a_service_that_does_not_answer_in_time_is_503(api, start_service):
    start_service(SlowPartners)
    answer = api.get(f"/api/v1/partners/{new_id()}", api.admin())
    assert answer.status_code == 503
    assert answer.json()["error"]["fields"] == {"service": ["partners"]}


def test_an_unexpected_service_failure_is_a_500_with_no_internals(api, start_service):
    start_service(BrokenPartners)
    answer = api.get(f"/api/v1/partners/{new_id()}", api.admin())  # the client checks leaks
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal_error"
    assert answer.json()["error"]["request_id"] == answer.headers["X-Request-Id"]


def test_health_says_which_service_is_down(api, start_service):
    start_service(EchoPartners)  # no health RPC: counts as unavailable
    answer = api.get("/health")
    assert answer.status_code == 503
    report = answer.json()
    assert report["broker"] == "ok" and report["status"] == "degraded"
    assert report["services"]["partners"] == {"status": "unavailable"}


def test_plain_http_clients_get_json_even_for_garbage(api):
    raw = requests.get(api.base_url + "/api/v1/partners/%ff%fe", timeout=5)
    assert raw.headers["Content-Type"].startswith("application/json")


class _AnyOtherId(dict):
    """The fake world's ids; a fresh id for a path variable it has no object for (a new
    route's: the route must exist, its object need not)."""

    def __missing__(self, name: str) -> str:
        return new_id()


def test_the_served_openapi_document_matches_the_live_routes(start_bff, fake_world):
    api = start_bff()
    document = api.get("/api/v1/openapi.json").json()
    values = {"brand_id": fake_world.BRAND_A, "partner_id": fake_world.PARTNER_A,
              "campaign_id": fake_world.CAMPAIGN_A, "commission_id": fake_world.COMMISSION_A,
              "conversion_id": fake_world.CONVERSION_A, "payout_id": fake_world.PAYOUT_A,
              "dead_letter_id": new_id(), "code": fake_world.CODE_A,
              "api_key_id": new_id(), "account_id": new_id()}
    assert len(document["paths"]) > 30
    for path, operations in document["paths"].items():
        concrete = path.format_map(_AnyOtherId(values))
        for method in operations:
            answer = api.request(method.upper(), concrete, api.admin())
            code = answer.json()["error"]["code"] if answer.status_code >= 400 and \
                answer.headers["Content-Type"].startswith("application/json") else None
            assert code not in ("route_not_found", "method_not_allowed"), (method, path)


def test_the_access_log_line_carries_the_request_id(api, caplog):
    caplog.set_level(logging.INFO, logger="services.bff.access")
    api.get("/api/v1/nothing", headers={"X-Request-Id": "log-me-1"})
    [line] = [r for r in caplog.records if r.name == "services.bff.access"]
    assert line.correlation_id == "log-me-1" and "-> 404" in line.getMessage()


def test_without_a_secret_public_routes_work_and_tokens_are_refused(start_bff, start_service,
                                                                     monkeypatch):
    monkeypatch.delenv(SECRET_ENV)
    start_service(fakes.FakePartners)
    api = start_bff()
    signed = api.post("/api/v1/partners/signup", json={
        "name": "Ana", "email": "ana@example.com", "type": "media", "country": "ES"})
    assert signed.status_code == 201 and signed.json()["token"] is None
    refused = api.get(f"/api/v1/partners/{fakes.PARTNER_A}", mint("admin", "ops", SECRET))
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "Authentication is not configured on this server."
