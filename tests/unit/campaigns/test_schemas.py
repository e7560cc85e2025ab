import pytest

from common.seedwork.domain.money import Money
from common.seedwork.errors import ValidationError
from common.validation import load
from services.campaigns import schemas

BRAND_ID = "6f9619ff-8b86-d011-b42d-00c04fc964ff"
CAMPAIGN = {"brand_id": BRAND_ID, "name": "Winter", "currency": "usd",
            "budget": {"amount": "1000.00", "currency": "USD"},
            "landing_url": "https://acme.example/winter",
            "terms": {"model": "CPS", "rate": "0.10", "attribution_window_days": 30,
                      "hold_days": 14}}


def test_a_campaign_payload_loads_into_typed_values():
    data = load(schemas.CreateCampaignSchema(), CAMPAIGN)
    assert data["budget"] == Money.of("1000.00", "USD") and data["currency"] == "USD"
    assert str(data["terms"]["rate"]) == "0.10" and data["description"] == ""


def test_shape_errors_are_named_per_field_including_nested_ones():
    bad = {**CAMPAIGN, "name": " ", "landing_url": "javascript:alert(1)", "colour": "red",
           "budget": {"amount": 12.5, "currency": "USD"},
           "eligibility": {"partner_types": ["spammer"], "countries": ["ZZ"]},
           "terms": {"model": "CPS", "rate": "abc", "attribution_window_days": "x"}}
    with pytest.raises(ValidationError) as error:
        load(schemas.CreateCampaignSchema(), bad)
    fields = error.value.fields
    assert set(fields) == {"name", "landing_url", "colour", "budget", "eligibility", "terms"}
    assert set(fields["terms"]) == {"rate", "attribution_window_days", "hold_days"}
    assert "strings" in fields["budget"]["amount"][0]


def test_referral_codes_are_matched_case_insensitively():
    assert load(schemas.ReferralCodeSchema(), {"code": " ABCdef2345 "})["code"] == "abcdef2345"

