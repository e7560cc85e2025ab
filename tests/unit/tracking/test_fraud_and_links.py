from datetime import timedelta

import pytest

from common.seedwork.errors import ValidationError
from services.tracking.domain import links
from services.tracking.domain.fraud import FloodGate, FraudRules, flood_key
from tests.unit.tracking.builders import NOW


def test_flood_gate_admits_n_clicks_per_code_ip_and_minute():
    gate = FloodGate(2, {})
    key = flood_key("CODE", "10.0.0.1", NOW)
    assert [gate.admit(key) for _ in range(3)] == [True, True, False]
    assert gate.admit(flood_key("CODE", "10.0.0.2", NOW))            # another IP
    assert gate.admit(flood_key("OTHER", "10.0.0.1", NOW))           # another code
    assert gate.admit(flood_key("CODE", "10.0.0.1", NOW + timedelta(minutes=1)))


def test_flood_gate_starts_from_what_was_counted_before_the_batch():
    key = flood_key("CODE", "10.0.0.1", NOW)
    # storage held 1, the batch adds 2 -> totals 3; limit 2 -> the batch's 2nd is over
    gate = FloodGate.after_counting(2, totals={key: 3}, batch={key: 2})
    assert [gate.admit(key), gate.admit(key)] == [True, False]


def test_flood_gate_without_limit_admits_everything():
    gate = FloodGate(None, {})
    assert all(gate.admit(flood_key("C", "1.1.1.1", NOW)) for _ in range(100))


def test_too_fast_and_self_referral_rules_and_their_switches():
    rules = FraudRules(min_seconds_to_convert=10)
    assert rules.converted_too_fast(NOW, NOW + timedelta(seconds=9))
    assert not rules.converted_too_fast(NOW, NOW + timedelta(seconds=10))
    assert not FraudRules(min_seconds_to_convert=None).converted_too_fast(NOW, NOW)
    assert rules.is_self_referral(partner_known_as_customer=False,
                                  traffic_ips=("1.1.1.1", None), partner_ips={"1.1.1.1"})
    assert rules.is_self_referral(partner_known_as_customer=True, traffic_ips=(),
                                  partner_ips=set())
    assert not rules.is_self_referral(partner_known_as_customer=False,
                                      traffic_ips=("2.2.2.2",), partner_ips={"1.1.1.1"})
    assert not FraudRules(self_referral=False).is_self_referral(
        partner_known_as_customer=True, traffic_ips=(), partner_ips=set())


@pytest.mark.parametrize("url, expected", [
    ("https://shop.example/p", "https://shop.example/p?click_id=ID"),
    ("https://shop.example/p?utm=x&a=", "https://shop.example/p?utm=x&a=&click_id=ID"),
    ("https://shop.example/p?click_id=old&x=1", "https://shop.example/p?x=1&click_id=ID"),
    ("https://shop.example/p?a=1#top", "https://shop.example/p?a=1&click_id=ID#top"),
])
def test_redirect_url_adds_the_click_id_and_keeps_the_rest(url, expected):
    assert links.with_click_id(url, "ID") == expected


def test_deep_links_must_stay_on_the_campaign_site():
    landing = "https://shop.example/p"
    assert links.destination(landing, None) == landing
    assert links.destination(landing, "https://SHOP.example/shoes?s=1") == \
        "https://SHOP.example/shoes?s=1"
    with pytest.raises(ValidationError) as error:
        links.destination(landing, "https://evil.example/phish")
    assert "landing_url" in error.value.fields
