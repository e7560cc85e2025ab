"""``GET /r/<code>`` through the pipeline, on fakes: answered from the edge (one look-up
per code), the click id minted here and in the Location, the click handed over before
the answer."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from common.seedwork.domain.ids import time_of
from common.seedwork.errors import ServiceUnavailable
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
