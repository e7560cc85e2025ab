"""Resources on a live BFF with fake services: what each audience gets, and how."""
from __future__ import annotations

import pytest

from tests.integration.bff import fakes
from tests.integration.bff.fakes import (
    BRAND_A,
    CAMPAIGN_A,
    CLICK_ID,
    CODE_A,
    COMMISSION_A,
    CONVERSION_A,
    PARTNER_A,
    PAYOUT_A,
)


@pytest.fixture
def api(start_bff, fake_world):
    return start_bff()


def called(name: str) -> list[tuple]:
    return [args for called_name, args in fakes.CALLS if called_name == name]


def test_a_referral_link_records_the_click_and_redirects(api):
    answer = api.get(f"/r/{CODE_A}?utm_source=newsletter",
                     headers={"User-Agent": "Mozilla/5.0 (X11)", "X-Request-Id": "click-1"})
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"{fakes.LANDING}?click_id={CLICK_ID}"
    assert answer.headers["Cache-Control"] == "no-store"
    [([click],)] = called("tracking.record_clicks")
    assert click == {"referral_code": CODE_A, "ip": "127.0.0.1",
                     "user_agent": "Mozilla/5.0 (X11)"}


def test_an_unknown_code_is_a_404_page_for_browsers_and_json_for_others(api):
    page = api.get("/r/nosuchcode", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
    assert "does not exist" in page.text and page.headers["X-Request-Id"] in page.text
    data = api.get("/r/nosuchcode")
    assert data.status_code == 404 and data.json()["error"]["code"] == "not_found"


def test_a_brand_posts_a_conversion_and_a_refund(api):
    brand = api.brand(BRAND_A)
    posted = api.post("/api/v1/conversions", brand, json={
        "order_id": "o-77", "amount": 200.5, "currency": "usd", "click_id": CLICK_ID,
        "customer_ip": "198.51.100.20"})
    assert posted.status_code == 201 and posted.json()["status"] == "ATTRIBUTED"
    [(payload,)] = called("tracking.record_conversion")
    assert payload == {"order_id": "o-77", "amount": "200.5", "currency": "USD",
                       "click_id": CLICK_ID, "referral_code": None,
                       "customer_ip": "198.51.100.20", "customer_id": None,
                       "occurred_at": None, "brand_id": BRAND_A}
    refunded = api.post("/api/v1/conversions/refunds", brand,
                        json={"order_id": "o-77", "amount": "50.00", "refund_id": "r-1"})
    assert refunded.status_code == 200
    assert called("tracking.reverse_conversion") == [
        ({"order_id": "o-77", "amount": "50.00", "refund_id": "r-1", "brand_id": BRAND_A},)]


def test_partners_never_see_customer_data_brands_do(api):
    as_partner = api.get(f"/api/v1/conversions/{CONVERSION_A}", api.partner(PARTNER_A)).json()
    as_brand = api.get(f"/api/v1/conversions/{CONVERSION_A}", api.brand(BRAND_A)).json()
    assert "customer_ip" not in as_partner and "customer_id" not in as_partner
    assert as_brand["customer_ip"] == "198.51.100.9"
    listed = api.get(f"/api/v1/partners/{PARTNER_A}/conversions", api.partner(PARTNER_A))
    assert all("customer_id" not in item for item in listed.json()["items"])


def test_partners_never_see_the_payout_saga_log_admins_do(api):
    mine = api.get(f"/api/v1/payouts/{PAYOUT_A}", api.partner(PARTNER_A)).json()
    assert mine["payout_id"] == PAYOUT_A and "saga_log" not in mine
    assert api.get(f"/api/v1/payouts/{PAYOUT_A}", api.admin()).json()["saga_log"]


def test_the_lifecycle_acts_as_the_campaigns_brand_even_for_an_admin(api):
    assert api.post(f"/api/v1/campaigns/{CAMPAIGN_A}/pause", api.admin()).status_code == 200
    assert called("campaigns.pause_campaign") == [(CAMPAIGN_A, BRAND_A)]


def test_a_brand_approves_and_declines_its_commissions(api):
    brand = api.brand(BRAND_A)
    approved = api.post(f"/api/v1/commissions/{COMMISSION_A}/approve", brand)
    declined = api.post(f"/api/v1/commissions/{COMMISSION_A}/decline", brand,
                        json={"reason": "test order"})
    assert (approved.json()["status"], declined.json()["status"]) == ("APPROVED", "DECLINED")
    assert called("commissions.decline_commission") == [(COMMISSION_A, BRAND_A, "test order")]


def test_available_campaigns_say_whether_the_partner_may_join(api):
    answer = api.get("/api/v1/partner/campaigns", api.partner(PARTNER_A))
    items = {item["campaign_id"]: item for item in answer.json()["items"]}
    assert items[CAMPAIGN_A]["enrolled"] is True and items[CAMPAIGN_A]["eligible"] is True
    assert "budget" not in items[CAMPAIGN_A]
    assert called("campaigns.list_campaigns")[0][0]["status"] == "ACTIVE"


def test_the_partner_dashboard_fans_out_and_reports_the_partners_ip(api):
    answer = api.get("/api/v1/partner/dashboard", api.partner(PARTNER_A))
    assert answer.status_code == 200
    board = answer.json()
    assert board["profile"]["partner_id"] == PARTNER_A and board["unavailable"] == []
    assert board["enrollments"][0]["tracking_url"].endswith(f"/r/{CODE_A}")
    assert board["enrollments"][0]["stats"]["conversions"] == 1
    assert board["balance"]["balances"][0]["pending"] == "20.00"
    assert called("tracking.record_partner_ip") == [
        ({"partner_id": PARTNER_A, "ip": "127.0.0.1"},)]


def test_the_brand_dashboard_shows_budgets_stats_and_pending_commissions(api):
    answer = api.get(f"/api/v1/brands/{BRAND_A}/dashboard", api.brand(BRAND_A))
    board = answer.json()
    [summary] = board["campaigns"]
    assert summary["campaign"]["campaign_id"] == CAMPAIGN_A
    assert summary["budget"]["remaining"] == {"amount": "980.00", "currency": "USD"}
    assert summary["stats"]["totals"]["clicks"] == 3
    assert board["pending_commissions"]["total"] == 1 and board["unavailable"] == []


def test_a_dashboard_degrades_when_a_service_is_down(start_bff, start_service):
    fakes.CALLS.clear()
    for fake in (fakes.FakePartners, fakes.FakeCampaigns):
        start_service(fake)
    api = start_bff(rpc_timeout_seconds=1)
    board = api.get("/api/v1/partner/dashboard", api.partner(PARTNER_A)).json()
    assert board["profile"]["partner_id"] == PARTNER_A
    assert board["stats"] is None and board["balance"] is None
    assert sorted(board["unavailable"]) == ["balance", "earnings", "stats"]
    chart = board["chart"]  # still every day of the window, counting zero, said incomplete
    assert len(chart["days"]) == 30 and chart["complete"] is False


def test_health_is_ok_when_every_service_answers(api):
    answer = api.get("/health")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["status"] == "ok" and report["broker"] == "ok"
    assert {"partners", "campaigns", "tracking", "commissions"} <= set(report["services"])


def test_admin_runs_payouts_and_issues_tokens(api):
    run = api.post("/api/v1/payouts/runs", api.admin(), json={
        "currency": "USD", "cycle": "2026-05", "min_amount": {"amount": "10", "currency": "USD"}})
    assert run.status_code == 201
    assert called("payouts.run_payouts") == [
        ({"currency": "USD", "cycle": "2026-05", "min_amount": "10"},)]
    # the threshold is money, as the run answers it; in another currency it is refused
    other = api.post("/api/v1/payouts/runs", api.admin(), json={
        "currency": "USD", "min_amount": {"amount": "10", "currency": "EUR"}})
    assert other.status_code == 422
    assert other.json()["error"]["fields"] == {"min_amount": {"currency": [
        "Must be the run's currency (USD)."]}}
    bare = api.post("/api/v1/payouts/runs", api.admin(), json={"currency": "USD",
                                                                "min_amount": "10.00"})
    assert bare.status_code == 422 and "min_amount" in bare.json()["error"]["fields"]
    assert len(called("payouts.run_payouts")) == 1  # refused requests reach no service
    issued = api.post("/api/v1/admin/tokens", api.admin(),
                      json={"role": "brand", "sub": BRAND_A, "ttl_seconds": 120})
    assert issued.status_code == 201 and issued.json()["expires_in"] == 120
    token = issued.json()["access_token"]
    assert api.get(f"/api/v1/brands/{BRAND_A}", token).status_code == 200
    unknown = api.post("/api/v1/admin/tokens", api.admin(), json={
        "role": "partner", "sub": "00000000-0000-4000-8000-000000000000"})
    assert unknown.status_code == 422 and "sub" in unknown.json()["error"]["fields"]
    admin = api.post("/api/v1/admin/tokens", api.admin(), json={"role": "admin", "sub": "x"})
    assert admin.status_code == 422
