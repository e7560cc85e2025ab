"""Partner routes against the real partners service."""
from __future__ import annotations

import pytest

from services.partners.service import PartnersService

ANA = {"name": "Ana Ruiz", "email": "ana@example.com", "type": "influencer", "country": "ES",
       "payout_method": {"type": "paypal", "email": "ana@example.com"}}


@pytest.fixture
def api(start_bff, start_service, partners_db):
    start_service(PartnersService, partners_db)
    return start_bff()


def test_signup_then_admin_verifies_and_activates(api):
    signed = api.post("/api/v1/partners/signup", json=ANA)
    assert signed.status_code == 201, signed.text
    body = signed.json()
    partner_id = body["partner"]["partner_id"]
    assert body["partner"]["status"] == "PENDING"
    own = body["token"]["access_token"]
    assert api.get(f"/api/v1/partners/{partner_id}", own).json()["email"] == ANA["email"]
    admin = api.admin()
    assert api.post(f"/api/v1/partners/{partner_id}/verify", admin).json()[
        "kyc_status"] == "VERIFIED"
    assert api.post(f"/api/v1/partners/{partner_id}/activate", admin).json()["status"] == "ACTIVE"


def sign_up(api, email: str) -> tuple[str, str]:
    body = api.post("/api/v1/partners/signup", json={**ANA, "email": email}).json()
    return body["partner"]["partner_id"], body["token"]["access_token"]


def test_a_partner_reads_and_changes_only_its_own_profile(api):
    ana, ana_token = sign_up(api, "ana@example.com")
    bob, _ = sign_up(api, "bob@example.com")
    hidden = api.get(f"/api/v1/partners/{bob}", ana_token)
    assert hidden.status_code == 404 and "bob@" not in hidden.text
    method = {"type": "bank_transfer", "account_holder": "Ana Ruiz",
              "iban": "ES91 2100 0418 4502 0005 1332"}
    changed = api.patch(f"/api/v1/partners/{ana}", ana_token,
                        json={"payout_method": method, "partner_id": bob})
    assert changed.status_code == 200
    assert changed.json()["payout_method"]["iban"] == "ES9121000418450200051332"
    assert api.get(f"/api/v1/partners/{bob}", api.admin()).json()["payout_method"][
        "type"] == "paypal"


def test_the_services_own_refusals_come_through_with_their_fields(api):
    sign_up(api, "ana@example.com")
    taken = api.post("/api/v1/partners/signup", json={**ANA, "email": "ANA@example.com"})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "conflict"
    bad_iban = api.post("/api/v1/partners/signup", json={
        **ANA, "email": "cy@example.com",
        "payout_method": {"type": "bank_transfer", "account_holder": "Cy", "iban": "ES00"}})
    assert bad_iban.status_code == 422
    assert "iban" in bad_iban.json()["error"]["fields"]["payout_method"]
    admin = api.admin()
    assert api.get("/api/v1/partners", admin).json()["total"] == 1


def test_admin_lifecycle_and_business_rules(api):
    partner_id, _ = sign_up(api, "ana@example.com")
    admin = api.admin()
    refused = api.post(f"/api/v1/partners/{partner_id}/activate", admin)
    assert refused.status_code == 409  # KYC first
    assert refused.json()["error"]["code"] == "business_rule_violation"
    api.post(f"/api/v1/partners/{partner_id}/verify", admin)
    api.post(f"/api/v1/partners/{partner_id}/activate", admin)
    suspended = api.post(f"/api/v1/partners/{partner_id}/suspend", admin,
                         json={"reason": "chargebacks"})
    assert suspended.json()["status"] == "SUSPENDED"
    listed = api.get("/api/v1/partners?status=SUSPENDED", admin).json()
    assert [p["partner_id"] for p in listed["items"]] == [partner_id]
    reactivated = api.post(f"/api/v1/partners/{partner_id}/reactivate", admin)
    assert reactivated.json()["status"] == "ACTIVE"
    missing = api.post("/api/v1/partners/00000000-0000-4000-8000-000000000000/verify", admin)
    assert missing.status_code == 404
