"""The "Forgot your password?" route over HTTP: a live BFF, a fake identity recording calls.

The answer is the same whether an account has the email or not (identity decides whether
a link is emailed); identity gets the client's address; a malformed email is named and
reaches no service; the route counts in the per-IP ``signup`` limit.
"""
from __future__ import annotations

import pytest

from tests.integration.bff import fakes

PATH = "/api/v1/auth/password-reset-requests"
REQUESTED = {"status": "requested",
             "message": "If an account has this email, a link to choose a new password is "
                        "on its way."}
KNOWN = fakes.PARTNERS[fakes.PARTNER_A]["email"]


def requested() -> list[dict]:
    return [payload for name, (payload,) in fakes.CALLS
            if name == "identity.request_password_reset"]


@pytest.fixture
def api(start_bff, fake_world):
    return start_bff(trust_forwarded_for=True)


def test_the_same_answer_for_a_known_and_an_unknown_email_and_identity_gets_the_ip(api):
    for email, ip in ((KNOWN, "203.0.113.7"), ("nobody@example.com", "198.51.100.8")):
        answer = api.post(PATH, json={"email": email}, headers={"X-Forwarded-For": ip})
        assert answer.status_code == 202, answer.text
        assert answer.json() == REQUESTED
    assert requested() == [{"email": KNOWN, "ip": "203.0.113.7"},
                           {"email": "nobody@example.com", "ip": "198.51.100.8"}]


def test_a_malformed_email_is_named_and_reaches_no_service(api):
    for body in ({"email": "not an email"}, {"email": f"{'a' * 320}@example.com"}, {}):
        answer = api.post(PATH, json=body)
        assert answer.status_code == 422, answer.text
        error = answer.json()["error"]
        assert error["code"] == "validation_error" and set(error["fields"]) == {"email"}
    assert fakes.CALLS == []


def test_requests_count_in_the_per_ip_signup_limit(start_bff, fake_world):
    api = start_bff(rate_limits={"signup": {"requests": 2, "per_seconds": 3600}})
    statuses = [api.post(PATH, json={"email": KNOWN}).status_code for _ in range(3)]
    assert statuses == [202, 202, 429]
    assert len(requested()) == 2
