from datetime import date, timedelta

import pytest

from common.seedwork.errors import ValidationError
from common.validation import load
from services.tracking import schemas
from services.tracking.application.settings import TrackingSettings

CLICK = {"referral_code": "CODE1", "ip": "::FFFF:10.0.0.1", "user_agent": "UA"}
CONVERSION = {"brand_id": "11111111-1111-4111-8111-111111111111", "order_id": "o-1",
              "amount": "10.50", "currency": "eur"}


def test_a_click_is_loaded_with_a_canonical_ip_and_optional_fields():
    data = load(schemas.RecordClickSchema(), CLICK)
    assert data == {**CLICK, "ip": "10.0.0.1", "landing_url": None, "occurred_at": None}
    assert load(schemas.RecordClickSchema(), {**CLICK, "ip": "2001:DB8::1"})["ip"] == "2001:db8::1"


def test_a_click_batch_answers_each_item_and_has_a_size_limit():
    items = schemas.click_batch([CLICK, {"ip": "nope"}, "junk"], limit=3)
    assert isinstance(items[0], dict)
    assert set(items[1].fields) == {"referral_code", "ip", "user_agent"}
    assert isinstance(items[2], ValidationError)
    with pytest.raises(ValidationError) as too_many:
        schemas.click_batch([CLICK] * 4, limit=3)
    assert "clicks" in too_many.value.fields
    with pytest.raises(ValidationError):
        schemas.click_batch({"clicks": []}, limit=3)


@pytest.mark.parametrize("change, field", [
    ({"amount": 10.5}, "amount"),          # floats are refused
    ({"amount": "10.505"}, "amount"),      # more decimals than EUR has
    ({"amount": "0"}, "amount"),
    ({"currency": "XXY"}, "currency"),
    ({"customer_ip": "999.1.1.1"}, "customer_ip"),
    ({"click_id": "not-a-uuid"}, "click_id"),
    ({"shop": "x"}, "shop"),               # unknown fields are refused
])
def test_a_bad_conversion_names_the_field(change, field):
    with pytest.raises(ValidationError) as error:
        load(schemas.RecordConversionSchema(), {**CONVERSION, **change})
    assert field in error.value.fields


def test_stats_ranges_are_days_in_order_and_at_most_a_year():
    data = load(schemas.CampaignStatsSchema(), {
        "campaign_id": CONVERSION["brand_id"], "from": "2026-06-01", "to": "2026-06-30"})
    assert (data["first_day"], data["last_day"]) == (date(2026, 6, 1), date(2026, 6, 30))
    for bad in ({"from": "2026-06-02", "to": "2026-06-01"},
                {"from": "2025-01-01", "to": "2026-06-01"}):
        with pytest.raises(ValidationError) as error:
            load(schemas.CampaignStatsSchema(), {"campaign_id": CONVERSION["brand_id"], **bad})
        assert "to" in error.value.fields


def test_settings_switch_rules_off_with_zero_or_false():
    settings = TrackingSettings.from_config({
        "flooding_max_clicks_per_minute": 0, "too_fast_min_seconds": "0",
        "self_referral_enabled": "false", "reject_suspended": False})
    rules = settings.rules
    assert (rules.max_clicks_per_minute, rules.min_seconds_to_convert) == (None, None)
    assert not rules.self_referral and not rules.reject_suspended
    defaults = TrackingSettings.from_config(None)
    assert defaults.rules.max_clicks_per_minute == 10 and defaults.max_clicks_per_call == 1000


def test_click_retention_is_off_or_at_least_the_longest_attribution_window():
    assert TrackingSettings.from_config({}).click_retention == timedelta(days=400)
    assert TrackingSettings.from_config({"click_retention_days": 0}).click_retention is None
    assert TrackingSettings.from_config(
        {"click_retention_days": 90}).click_retention == timedelta(days=90)
    with pytest.raises(ValueError, match="at least 90"):
        TrackingSettings.from_config({"click_retention_days": 89})
