"""``GET /r/<code>`` on its lean path (``Route.lean``) through the live server: the same
edge as every other route -- request id, trace, access log, metrics, errors, limits."""
from __future__ import annotations

import logging

import pytest
from nameko.testing.utils import find_free_port
from prometheus_client import REGISTRY

from common.nameko import tracing
from services.bff.service import BffService
from tests.integration.bff import fakes
from tests.integration.bff.client import Api
from tests.support import read_model, service_config

REDIRECTS = "alpes_http_server_duration_seconds_count"


@pytest.fixture
def traced_api(container_factory, rabbit_config, jwt_secret, make_db_uri, fake_world):
    port = find_free_port()
    config = service_config(rabbit_config, read_model(make_db_uri),
                            WEB_SERVER_ADDRESS=f"127.0.0.1:{port}",
                            TRACING={"enabled": True, "exporter": "memory"})
    container_factory(BffService, config).start()
    return Api(f"http://127.0.0.1:{port}", config)


def redirects_counted(status_class: str) -> float:
    return REGISTRY.get_sample_value(REDIRECTS, {
        "service": "bff", "method": "GET", "route": "/r/<code>",
        "status_class": status_class}) or 0.0


def test_a_redirect_carries_the_request_id_and_its_trace(traced_api):
    answer = traced_api.get(f"/r/{fakes.CODE_A}", headers={"X-Request-Id": "click-7"})
    assert answer.status_code == 302 and answer.headers["X-Request-Id"] == "click-7"
    assert answer.headers["Location"].startswith(fakes.LANDING + "?click_id=")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Content-Length"] == "0" and answer.content == b""
    assert tracing.parse(answer.headers["traceparent"]) is not None
    generated = traced_api.get(f"/r/{fakes.CODE_A}").headers["X-Request-Id"]
    assert generated and generated != "click-7"


def test_a_redirect_is_logged_and_counted_under_its_route(traced_api, caplog):
    caplog.set_level(logging.INFO, logger="services.bff.access")
    before = redirects_counted("3xx"), redirects_counted("4xx")
    assert traced_api.get(f"/r/{fakes.CODE_A}", headers={"X-Request-Id": "log-r-1"}
                          ).status_code == 302
    assert traced_api.get("/r/nosuchcode").status_code == 404
    assert (redirects_counted("3xx"), redirects_counted("4xx")) == (before[0] + 1,
                                                                     before[1] + 1)
    [line] = [r for r in caplog.records if r.name == "services.bff.access"
              and r.correlation_id == "log-r-1"]
    assert f"GET /r/{fakes.CODE_A} -> 302" in line.getMessage() and line.trace_id


def test_head_and_other_methods_are_answered_as_by_the_route_map(traced_api):
    head = traced_api.request("HEAD", f"/r/{fakes.CODE_A}")
    assert head.status_code == 302 and head.content == b""
    post = traced_api.post(f"/r/{fakes.CODE_A}")
    assert post.status_code == 405 and post.json()["error"]["code"] == "method_not_allowed"
    deeper = traced_api.get(f"/r/{fakes.CODE_A}/more")
    assert deeper.status_code == 404 and deeper.json()["error"]["code"] == "route_not_found"


def test_a_bad_code_a_bad_query_and_a_body_are_refused_as_before(traced_api):
    page = traced_api.get("/r/not*a*code", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
    repeated = traced_api.get(f"/r/{fakes.CODE_A}?utm_source=a&utm_source=b")
    assert repeated.status_code == 422
    assert set(repeated.json()["error"]["fields"]) == {"utm_source"}
    body = traced_api.request("GET", f"/r/{fakes.CODE_A}", json={"unexpected": 1})
    assert body.status_code == 400 and body.json()["error"]["code"] == "malformed_request"
    assert traced_api.get(f"/r/{fakes.CODE_A}?utm_source=a").status_code == 302
