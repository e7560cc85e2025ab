"""``GET /r/<code>`` through the pipeline, on fakes: answered from the edge (one look-up
per code), the click id minted here and in the Location, the click handed over before
the answer."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.test import EnvironBuilder
from werkzeug.urls import iri_to_uri
from werkzeug.wrappers import Response

from common.contracts.bff import MAX_USER_AGENT, with_click_id
from common.seedwork.domain.ids import time_of, time_ordered_uuid
from common.seedwork.errors import ServiceUnavailable, ValidationError
from common.validation import load
from services.bff import responses, web
from services.bff.api import tracking
from services.bff.routing import ROUTES
from tests.unit.bff.harness import Harness

CAMPAIGN = "3c7d1e90-8b2a-4c55-b1f3-7e9a0d4c6b03"
LANDING = "https://shop.example.com/spring?utm_source=alpes#top"


def resolve(codes):
    return {"items": [{"referral_code": code, "enrollment_id": f"enr-{code}",
                       "campaign_id": CAMPAIGN, "status": "ACTIVE", "revision": 1,
                       "campaign": {"campaign_id": CAMPAIGN, "landing_url": LANDING,
                                    "status": "ACTIVE", "revision": 2}}
                      for code in codes if code.startswith("good")]}


def harness(**settings) -> Harness:
    return Harness({"tracking.resolve_referral_codes": resolve}, **settings)


def test_a_known_code_redirects_with_a_fresh_click_id_handed_over_first():
    h = harness()
    answer = h.request("GET", "/r/good-1?utm_medium=mail", headers={
        "User-Agent": "Mozilla/5.0 \x00(X11)", "X-Request-Id": "click-1"})
    assert answer.status_code == 302 and answer.headers["Cache-Control"] == "no-store"
    location = urlsplit(answer.headers["Location"])
    [click_id] = parse_qs(location.query)["click_id"]
    assert answer.headers["Location"] == (
        f"https://shop.example.com/spring?utm_source=alpes&click_id={click_id}#top")
    [(click, correlation_id)] = h.clicks.captured
    assert click["click_id"] == click_id and correlation_id == "req-1"
    assert (click["referral_code"], click["ip"], click["user_agent"]) == (
        "good-1", "203.0.113.7", "Mozilla/5.0 (X11)")
    minted = time_of(click_id)
    assert abs(minted - datetime.now(UTC)) < timedelta(seconds=5)  # time-ordered (v7)
    assert click["occurred_at"].endswith("Z")


def test_each_redirect_gets_its_own_click_and_the_code_is_asked_once():
    h = harness()
    ids = {h.request("GET", "/r/good-1").headers["Location"] for _ in range(3)}
    assert len(ids) == 3 and len(h.clicks.captured) == 3
    assert h.rpc.called("tracking.resolve_referral_codes") == [(["good-1"],)]


def test_an_unknown_code_is_a_404_and_nothing_is_captured():
    h = harness()
    page = h.request("GET", "/r/nosuchcode", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
    data = h.request("GET", "/r/nosuchcode")
    assert data.status_code == 404 and data.error["code"] == "not_found"
    assert h.clicks.captured == []
    assert h.rpc.called("tracking.resolve_referral_codes") == [(["nosuchcode"],)]


def test_an_ipv4_mapped_address_is_handed_over_as_ipv4():
    h = harness()
    h.request("GET", "/r/good-1", remote_addr="::ffff:198.51.100.7")
    assert h.clicks.captured[0][0]["ip"] == "198.51.100.7"


def test_a_click_the_broker_did_not_take_is_a_503_not_a_redirect():
    h = harness()
    h.clicks.fail = ServiceUnavailable("not confirmed", {"service": ["broker"]})
    answer = h.request("GET", "/r/good-1")
    assert answer.status_code == 503 and "Location" not in answer.headers


def test_tracking_down_on_a_miss_is_a_503():
    def down(codes):
        raise ServiceUnavailable("tracking.resolve_referral_codes did not answer",
                                 {"service": ["tracking"]})

    h = Harness({"tracking.resolve_referral_codes": down})
    assert h.request("GET", "/r/good-1").status_code == 503


# --- the lean path (Route.lean): what the generic pipeline checked, still checked --------
def test_the_redirect_is_declared_lean_and_keeps_its_declaration():
    [declared] = [r for r in ROUTES if r.path == "/r/<code>"]
    assert declared.lean and declared.lean_prefix == "/r/"
    assert (declared.rate_policy, declared.html_errors, declared.bad_path_is_not_found) == (
        "redirect", True, True)


@pytest.mark.parametrize("code, schema_refuses", [
    ("x" * 201, True), ("good\x00", True), ("not*a*code", False), ("x" * 65, False)])
def test_a_code_the_path_schema_refuses_the_handler_refuses_too(code, schema_refuses):
    """Without a query string the path schema does not run: the handler's own check
    must refuse at least what it refuses, with the same 404 (and more: 65 characters)."""
    [declared] = [r for r in ROUTES if r.path == "/r/<code>"]
    try:
        load(declared.path_schema, {"code": code})
    except ValidationError:
        assert schema_refuses
    else:
        assert not schema_refuses
    h = harness()
    answer = h.request("GET", "/r/" + quote(code))
    assert answer.status_code == 404 and answer.error["code"] == "not_found"
    assert h.clicks.captured == [] and h.rpc.calls == []


def test_a_bad_code_is_a_404_before_its_query_string_is_looked_at():
    h = harness()
    answer = h.request("GET", "/r/" + "x" * 201 + "?utm_source=a&utm_source=b")
    assert answer.status_code == 404 and answer.error["code"] == "not_found"


def test_the_query_string_is_still_checked_field_by_field():
    h = harness()
    repeated = h.request("GET", "/r/good-1?utm_source=a&utm_source=b&ref=%00")
    assert repeated.status_code == 422
    assert set(repeated.error["fields"]) == {"utm_source", "ref"}
    assert h.clicks.captured == []
    assert h.request("GET", "/r/good-1?utm_source=a&ref=b").status_code == 302


def test_a_body_on_a_redirect_is_refused_as_on_every_route():
    h = harness()
    answer = h.request("GET", "/r/good-1", data=b'{"unexpected": 1}',
                       headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.error["code"] == "malformed_request"
    assert h.clicks.captured == []


def test_the_redirect_is_rate_limited_per_ip_with_retry_after():
    h = harness(rate_limits={"redirect": {"requests": 1, "per_seconds": 60}})
    assert h.request("GET", "/r/good-1").status_code == 302
    limited = h.request("GET", "/r/good-1")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.error["code"] == "rate_limited"
    assert h.request("GET", "/r/good-1", remote_addr="198.51.100.9").status_code == 302
    assert len(h.clicks.captured) == 2


def test_a_bounded_user_agent_without_nul():
    h = harness()
    h.request("GET", "/r/good-1", headers={"User-Agent": "a\x00" * 2000})
    assert h.clicks.captured[0][0]["user_agent"] == "a" * MAX_USER_AGENT


def test_the_redirect_answers_what_a_werkzeug_redirect_answers():
    lean = responses.Redirect("https://shop.example.com/p?click_id=1#top")
    full = Response("", status=302, headers={  # what the route answered before
        "Location": "https://shop.example.com/p?click_id=1#top",
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
    environ = EnvironBuilder(path="/r/x").get_environ()
    assert (lean.status_code, lean.status) == (full.status_code, full.status)
    assert list(lean.headers.items()) == full.get_wsgi_headers(environ).to_wsgi_list()
    started = []
    assert b"".join(lean(environ, lambda status, headers: started.append((status, headers)))) \
        == b"".join(full.iter_encoded()) == b""
    assert started == [(full.status, full.get_wsgi_headers(environ).to_wsgi_list())]


@pytest.mark.parametrize("landing", [
    LANDING, "https://Shop.Example.com/ñandú path?q=a b&click_id=old#frag ment",
    "https://xn--nda-hqa.example/p?x=%41", "http://shop.example.com?", "/relative?a=1"])
def test_the_location_is_the_uri_werkzeug_would_send(landing):
    click_id = time_ordered_uuid()
    assert tracking.landing_uri(landing, click_id) == iri_to_uri(
        with_click_id(landing, click_id))


def test_a_landing_page_holding_the_stand_in_id_is_still_right():
    landing = f"https://shop.example.com/{tracking._STAND_IN_ID}"
    click_id = time_ordered_uuid()
    assert tracking.landing_uri(landing, click_id) == iri_to_uri(
        with_click_id(landing, click_id))


class Provider:
    """An entrypoint of the route, as far as the matching reads it."""

    def __init__(self, declared):
        self.route, self.url = declared, declared.path


@pytest.mark.parametrize("path", ["/r/good-1", "/r/good-1/", "/r/", "/r/a/b", "/rx/good",
                                  "/r/\u00c3\u00a9", "/r/%41", "/r//x", "/api/v1/r/x"])
def test_a_lean_route_is_matched_as_werkzeug_s_map_matches_it(path):
    """Matched by its prefix, or left to the map: never a different answer."""
    [declared] = [r for r in ROUTES if r.path == "/r/<code>"]
    provider = Provider(declared)
    app = web.ApiWsgiApp.__new__(web.ApiWsgiApp)
    app.lean = {declared.lean_prefix: provider}
    url_map = Map([Rule(declared.path, methods=["GET"], endpoint=provider)])
    environ = {**EnvironBuilder(path="/").get_environ(), "PATH_INFO": path}
    lean = app._lean_match(environ)
    try:
        matched = url_map.bind_to_environ(environ).match()
    except HTTPException:
        matched = None
    assert lean is None or lean == matched
    assert (lean is not None) == (path in ("/r/good-1", "/r/%41"))


def test_a_deep_link_lands_on_its_page_of_the_site_with_the_click_id():
    h = harness()
    page = "https://shop.example.com/products/42?color=red#reviews"
    answer = h.request("GET", f"/r/good-1?to={quote(page, safe='')}&utm_source=blog")
    assert answer.status_code == 302
    [(click, _)] = h.clicks.captured
    assert answer.headers["Location"] == (
        f"https://shop.example.com/products/42?color=red&click_id={click['click_id']}#reviews")
    assert click["landing_url"] == page  # tracking keeps where the visitor went
    h.request("GET", "/r/good-1")
    assert "landing_url" not in h.clicks.captured[1][0]  # the landing page: said by none


def test_a_deep_link_to_another_site_is_a_page_saying_so_and_records_nothing():
    h = harness()
    page = h.request("GET", "/r/good-1?to=https%3A%2F%2Fevil.example.net%2F",
                     headers={"Accept": "text/html"})
    assert page.status_code == 422 and page.headers["Content-Type"].startswith("text/html")
    assert "Must be a page of https://shop.example.com." in page.text
    assert "Location" not in page.headers
    data = h.request("GET", "/r/good-1?to=not-a-url")
    assert data.status_code == 422 and set(data.error["fields"]) == {"to"}
    assert h.clicks.captured == []
