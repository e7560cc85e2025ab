"""Security acceptance over HTTP, on a live BFF with fake services.

Partner A never reaches partner B's objects, brand A never reaches brand B's: 404, the
same body as a missing object, none of B's data, and no write reaches a service. Each bad
token kind is a 401; ids naming the actor are taken from the token; limits answer 429.
"""
from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from services.bff.auth import AUDIENCE, ISSUER
from tests.integration.bff import fakes
from tests.integration.bff.conftest import SECRET
from tests.integration.bff.fakes import (
    B_MARKER,
    BRAND_A,
    BRAND_B,
    CAMPAIGN_B,
    COMMISSION_B,
    CONVERSION_B,
    PARTNER_A,
    PARTNER_B,
    PAYOUT_B,
)

WRITES = ("register", "change", "verify", "activate", "suspend", "reactivate", "create",
          "pause", "end", "cancel", "enroll", "approve", "decline", "record_conversion",
          "reverse", "run", "retry")
PAYPAL = {"type": "paypal", "email": "a@example.com"}


@pytest.fixture
def api(start_bff, fake_world):
    return start_bff()


def writes_made() -> list[str]:
    return [name for name, _ in fakes.CALLS if name.split(".")[1].startswith(WRITES)]


def assert_hidden(answer) -> None:
    assert answer.status_code == 404, (answer.status_code, answer.text)
    assert answer.json()["error"] == {"code": "not_found",
                                      "message": "The requested object does not exist.",
                                      "fields": {},
                                      "request_id": answer.headers["X-Request-Id"]}
    for secret in (B_MARKER, PARTNER_B, BRAND_B, CAMPAIGN_B):
        assert secret not in answer.text


PARTNER_B_OBJECTS = [
    ("GET", f"/api/v1/partners/{PARTNER_B}", None),
    ("PATCH", f"/api/v1/partners/{PARTNER_B}", {"payout_method": PAYPAL}),
    ("GET", f"/api/v1/partners/{PARTNER_B}/commissions", None),
    ("GET", f"/api/v1/partners/{PARTNER_B}/balance", None),
    ("GET", f"/api/v1/partners/{PARTNER_B}/payouts", None),
    ("GET", f"/api/v1/partners/{PARTNER_B}/conversions", None),
    ("GET", f"/api/v1/partners/{PARTNER_B}/enrollments", None),
    ("POST", f"/api/v1/partners/{PARTNER_B}/enrollments", {"campaign_id": CAMPAIGN_B}),
    ("GET", f"/api/v1/partners/{PARTNER_B}/stats", None),
    ("GET", f"/api/v1/payouts/{PAYOUT_B}", None),
    ("GET", f"/api/v1/commissions/{COMMISSION_B}", None),
    ("GET", f"/api/v1/conversions/{CONVERSION_B}", None),
]
BRAND_B_OBJECTS = [
    ("GET", f"/api/v1/campaigns/{CAMPAIGN_B}", None),
    ("POST", f"/api/v1/campaigns/{CAMPAIGN_B}/activate", None),
    ("POST", f"/api/v1/campaigns/{CAMPAIGN_B}/pause", None),
    ("POST", f"/api/v1/campaigns/{CAMPAIGN_B}/end", None),
    ("POST", f"/api/v1/campaigns/{CAMPAIGN_B}/cancel", None),
    ("GET", f"/api/v1/campaigns/{CAMPAIGN_B}/terms", None),
    ("POST", f"/api/v1/campaigns/{CAMPAIGN_B}/terms",
     {"terms": {"model": "CPA", "amount": {"amount": "5.00", "currency": "USD"},
                "attribution_window_days": 30, "hold_days": 0}}),
    ("GET", f"/api/v1/campaigns/{CAMPAIGN_B}/budget", None),
    ("GET", f"/api/v1/campaigns/{CAMPAIGN_B}/enrollments", None),
    ("GET", f"/api/v1/campaigns/{CAMPAIGN_B}/stats", None),
    ("GET", f"/api/v1/brands/{BRAND_B}", None),
    ("GET", f"/api/v1/brands/{BRAND_B}/campaigns", None),
    ("GET", f"/api/v1/brands/{BRAND_B}/dashboard", None),
    ("GET", f"/api/v1/brands/{BRAND_B}/commissions", None),
    ("GET", f"/api/v1/brands/{BRAND_B}/conversions", None),
    ("GET", f"/api/v1/commissions/{COMMISSION_B}", None),
    ("POST", f"/api/v1/commissions/{COMMISSION_B}/approve", None),
    ("POST", f"/api/v1/commissions/{COMMISSION_B}/decline", {"reason": "no"}),
    ("GET", f"/api/v1/conversions/{CONVERSION_B}", None),
]


def test_partner_a_never_reaches_partner_b(api):
    token = api.partner(PARTNER_A)
    for method, path, body in PARTNER_B_OBJECTS:
        assert_hidden(api.request(method, path, token, json=body))
    assert writes_made() == []


def test_brand_a_never_reaches_brand_b(api):
    token = api.brand(BRAND_A)
    for method, path, body in BRAND_B_OBJECTS:
        assert_hidden(api.request(method, path, token, json=body))
    assert writes_made() == []


def test_neither_reaches_the_other_sides_objects(api):
    crossings = [(api.brand(BRAND_A), PARTNER_B_OBJECTS), (api.partner(PARTNER_A),
                                                          BRAND_B_OBJECTS)]
    for token, objects in crossings:
        for method, path, body in objects:
            answer = api.request(method, path, token, json=body)
            assert answer.status_code in (403, 404), path
            assert B_MARKER not in answer.text
    assert writes_made() == []


def test_a_missing_object_and_someone_elses_look_the_same(api):
    missing = api.get("/api/v1/campaigns/00000000-0000-4000-8000-000000000000",
                      api.brand(BRAND_A))
    theirs = api.get(f"/api/v1/campaigns/{CAMPAIGN_B}", api.brand(BRAND_A))
    assert missing.status_code == theirs.status_code == 404
    assert without_request_id(missing) == without_request_id(theirs)


def without_request_id(answer) -> dict:
    return {k: v for k, v in answer.json()["error"].items() if k != "request_id"}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(**changes) -> dict:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": PARTNER_A, "role": "partner", "iat": now,
            "exp": now + 300, **changes}


def bad_tokens(api) -> dict[str, str | None]:
    good = api.partner(PARTNER_A)
    header, payload, signature = good.split(".")
    return {
        "missing": None,
        "garbage": "not-a-token",
        "tampered": f"{header}.{_b64(_claims(role='admin', sub='ops'))}.{signature}",
        "bad signature": f"{header}.{payload}.{signature[::-1]}",
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims())}.",
        "expired": jwt.encode(_claims(iat=int(time.time()) - 600, exp=int(time.time()) - 60),
                              SECRET, algorithm="HS256"),
        "wrong algorithm": jwt.encode(_claims(), SECRET + SECRET, algorithm="HS512"),
        "other secret": jwt.encode(_claims(), "x" * 64, algorithm="HS256"),
        "no expiry": jwt.encode({k: v for k, v in _claims().items() if k != "exp"}, SECRET,
                                algorithm="HS256"),
    }


def test_each_bad_token_kind_is_401(api):
    for kind, token in bad_tokens(api).items():
        answer = api.get(f"/api/v1/partners/{PARTNER_A}", token)
        assert answer.status_code == 401, kind
        assert answer.json()["error"]["code"] == "unauthorized", kind
        assert answer.headers["WWW-Authenticate"].startswith("Bearer"), kind
        assert "Partner A" not in answer.text
    assert fakes.CALLS == []


def test_a_role_that_may_not_use_a_route_is_403(api):
    answer = api.post("/api/v1/payouts/runs", api.partner(PARTNER_A), json={"currency": "USD"})
    assert answer.status_code == 403 and writes_made() == []


def test_ids_naming_the_actor_are_taken_from_the_token(api):
    patched = api.patch(f"/api/v1/partners/{PARTNER_A}", api.partner(PARTNER_A),
                        json={"payout_method": PAYPAL, "partner_id": PARTNER_B})
    enrolled = api.post(f"/api/v1/partners/{PARTNER_A}/enrollments", api.partner(PARTNER_A),
                        json={"campaign_id": CAMPAIGN_B, "partner_id": PARTNER_B})
    converted = api.post("/api/v1/conversions", api.brand(BRAND_A),
                         json={"order_id": "o-1", "amount": "10.00", "currency": "USD",
                               "brand_id": BRAND_B})
    created = api.post(f"/api/v1/brands/{BRAND_A}/campaigns", api.brand(BRAND_A), json={
        "name": "Spring", "currency": "USD", "budget": {"amount": "100", "currency": "USD"},
        "landing_url": "https://shop.example.com", "brand_id": BRAND_B,
        "terms": {"model": "CPS", "rate": "0.1", "attribution_window_days": 30,
                  "hold_days": 0}})
    assert [a.status_code for a in (patched, enrolled, converted, created)] == [200, 201, 201,
                                                                                201]
    calls = dict(fakes.CALLS)
    assert calls["partners.change_payout_method"] == (PARTNER_A, PAYPAL)
    assert calls["campaigns.enroll_partner"] == (CAMPAIGN_B, PARTNER_A, None)
    assert calls["tracking.record_conversion"][0]["brand_id"] == BRAND_A
    assert calls["campaigns.create_campaign"][0]["brand_id"] == BRAND_A


def test_server_controlled_fields_are_refused_and_nothing_is_written(api):
    answer = api.post("/api/v1/partners/signup", json={
        "name": "Eve", "email": "eve@example.com", "type": "media", "country": "ES",
        "status": "ACTIVE", "kyc_status": "VERIFIED", "role": "admin"})
    assert answer.status_code == 422
    assert set(answer.json()["error"]["fields"]) == {"status", "kyc_status", "role"}
    assert fakes.CALLS == []


def test_rate_limits_answer_429_with_retry_after(start_bff, fake_world):
    api = start_bff(rate_limits={"token": {"requests": 2, "per_seconds": 60},
                                 "redirect": {"requests": 1, "per_seconds": 60}})
    token = api.partner(PARTNER_A)
    statuses = [api.get(f"/api/v1/partners/{PARTNER_A}", token).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = api.get(f"/api/v1/partners/{PARTNER_A}", token)
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limited"
    assert [api.get(f"/r/{fakes.CODE_A}").status_code for _ in range(2)] == [302, 429]
