"""Every route answers invalid input with 400/422 JSON naming the fields, and no
service is called (so nothing changes). Driven from the route table itself."""
from __future__ import annotations

import re

import marshmallow
import pytest

from services.bff.auth import ADMIN
from services.bff.routing import ROUTES
from tests.integration.bff import fakes

VALID = {"brand_id": fakes.BRAND_A, "partner_id": fakes.PARTNER_A,
         "campaign_id": fakes.CAMPAIGN_A, "commission_id": fakes.COMMISSION_A,
         "conversion_id": fakes.CONVERSION_A, "payout_id": fakes.PAYOUT_A,
         "enrollment_id": fakes.ENROLLMENT_A,
         "dead_letter_id": "d8000000-0000-4000-8000-000000000008", "code": fakes.CODE_A,
         "api_key_id": "e9000000-0000-4000-8000-000000000009",
         "account_id": "ea000000-0000-4000-8000-00000000000a",
         "endpoint_id": "eb000000-0000-4000-8000-00000000000b",
         "delivery_id": "ec000000-0000-4000-8000-00000000000c",
         "invitation_id": "ed000000-0000-4000-8000-00000000000d"}


@pytest.fixture
def api(start_bff, fake_world):
    return start_bff()


def token_for(api, declared) -> str | None:
    if declared.public:
        return None
    role = ADMIN if ADMIN in declared.roles else declared.roles[0]
    return {"admin": api.admin(), "brand": api.brand(fakes.BRAND_A),
            "partner": api.partner(fakes.PARTNER_A)}[role]


def url(declared, values: dict) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: values[m.group(1)], declared.path)


def assert_names(answer, status: int, names: set[str]) -> None:
    assert answer.status_code == status, (answer.request.url, answer.text)
    error = answer.json()["error"]
    assert error["request_id"] == answer.headers["X-Request-Id"]
    assert names <= set(error["fields"]), (answer.request.url, error)


def test_every_route_names_bad_path_query_and_body_fields(api):
    for declared in ROUTES:
        token = token_for(api, declared)
        good = url(declared, VALID)
        if declared.variables and not declared.html_errors:
            bad = url(declared, {name: "not-an-id" for name in declared.variables})
            answer = api.request(declared.method, bad, token,
                                 json={} if declared.body else None)
            assert_names(answer, 422, set(declared.variables))
        if declared.query().unknown == marshmallow.RAISE:  # /r/<code> ignores utm_*...
            answer = api.request(declared.method, f"{good}?unexpected=1", token,
                                 json={} if declared.body else None)
            assert_names(answer, 422, {"unexpected"})
        if declared.body:
            answer = api.request(declared.method, good, token, json={"unexpected": 1})
            required = {name for name, field in declared.body().fields.items()
                        if field.required}
            assert_names(answer, 422, {"unexpected"} | required)
        else:
            answer = api.request(declared.method, good, token, json={"unexpected": 1})
            assert answer.status_code == 400 and answer.json()["error"]["code"] == \
                "malformed_request"
    assert fakes.CALLS == []


def test_a_referral_link_that_cannot_exist_is_a_404_like_an_unknown_one(api):
    for code in ("not*a*code", "x" * 65, "%00"):
        answer = api.get(f"/r/{code}")
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    assert fakes.CALLS == []


def test_amounts_beyond_a_quadrillion_are_named_not_a_500(api):
    """Found by the hostile-input scenario: min_amount 1.41e+308 (a JSON number) for BIF
    reached Money and crashed a quantize. Every amount field refuses it by name."""
    run = api.post("/api/v1/payouts/runs", api.admin(),
                   json={"currency": "BIF",
                         "min_amount": {"amount": 1.410018210361533e+308, "currency": "BIF"}})
    assert_names(run, 422, {"min_amount"})
    brand = api.post("/api/v1/conversions", api.brand(fakes.BRAND_A), json={
        "order_id": "o-1", "amount": "1E+300", "currency": "USD",
        "referral_code": fakes.CODE_A})
    assert_names(brand, 422, {"amount"})
    assert fakes.CALLS == []
