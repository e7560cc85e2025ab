"""Resources on a live BFF with fake services: what each audience gets, and how."""
from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from kombu import Connection

from services.bff.schemas.dashboards import BrandDashboardOut, PartnerDashboardOut
from tests.integration.bff import fakes, read_model_world
from tests.integration.bff.fakes import (
    BRAND_A,
    BRAND_B,
    CAMPAIGN_A,
    CLICK_ID,
    CODE_A,
    COMMISSION_A,
    CONVERSION_A,
    PARTNER_A,
    PAYOUT_A,
)
from tests.support import wait_for


@pytest.fixture
def api(start_bff, fake_world):
    return start_bff()


def called(name: str) -> list[tuple]:
    return [args for called_name, args in fakes.CALLS if called_name == name]


def test_a_referral_link_hands_the_click_over_and_redirects(api):
    answer = api.get(f"/r/{CODE_A}?utm_source=newsletter",
                     headers={"User-Agent": "Mozilla/5.0 (X11)", "X-Request-Id": "click-1"})
    assert answer.status_code == 302
    [click_id] = parse_qs(urlsplit(answer.headers["Location"]).query)["click_id"]
    assert answer.headers["Location"] == f"{fakes.LANDING}?click_id={click_id}"
    assert answer.headers["Cache-Control"] == "no-store"
    assert called("tracking.resolve_referral_codes") == [([CODE_A],)]
    [click] = wait_for(lambda: fakes.handed_over_clicks(api.config), timeout=5,
                       message="the click handed over")  # journaled: within click_flush_ms
    occurred_at = click.pop("occurred_at")
    assert click == {"click_id": click_id, "referral_code": CODE_A, "ip": "127.0.0.1",
                     "user_agent": "Mozilla/5.0 (X11)"}
    assert datetime.fromisoformat(occurred_at) <= datetime.now(UTC)
    again = api.get(f"/r/{CODE_A.upper()}")  # typed from a video: codes are lowercase
    assert again.status_code == 302 and again.headers["Location"] != answer.headers["Location"]
    assert len(called("tracking.resolve_referral_codes")) == 1  # known at the edge now


def test_a_deep_link_lands_on_a_page_of_the_campaign_s_site_and_nowhere_else(api):
    page = "https://shop.example.com/products/42?color=red"
    answer = api.get(f"/r/{CODE_A}", params={"to": page, "utm_source": "newsletter"})
    assert answer.status_code == 302, answer.text
    [click_id] = parse_qs(urlsplit(answer.headers["Location"]).query)["click_id"]
    assert answer.headers["Location"] == f"{page}&click_id={click_id}"
    [click] = wait_for(lambda: fakes.handed_over_clicks(api.config), timeout=5,
                       message="the click handed over")
    assert click["click_id"] == click_id

    for elsewhere in ("https://evil.example.net/", "javascript:alert(1)",
                      "https://shop.example.com@evil.example.net/", "/products/42"):
        refused = api.get(f"/r/{CODE_A}", params={"to": elsewhere})
        assert refused.status_code == 422 and "Location" not in refused.headers, elsewhere
        assert set(refused.json()["error"]["fields"]) == {"to"}, elsewhere
    browser = api.get(f"/r/{CODE_A}", params={"to": "https://evil.example.net/"},
                      headers={"Accept": "text/html"})
    assert browser.status_code == 422 and "text/html" in browser.headers["Content-Type"]
    time.sleep(0.3)  # past the journal's 100 ms flush: anything kept would be out by now
    assert fakes.handed_over_clicks(api.config) == []  # a refused link records no click


def test_without_tracking_s_queue_a_confirmed_redirect_is_a_503_not_a_lost_click(start_bff,
                                                                                 fake_world):
    api = start_bff(click_handover="confirmed")
    with Connection(api.config["AMQP_URI"]) as connection:
        connection.default_channel.queue_delete(fakes.declare_clicks_queue(api.config))
    answer = api.get(f"/r/{CODE_A}")
    assert answer.status_code == 503 and "Location" not in answer.headers


def test_without_tracking_s_queue_a_journaled_click_waits_on_disk_until_it_is_back(
        start_bff, fake_world, tmp_path):
    api = start_bff()
    with Connection(api.config["AMQP_URI"]) as connection:
        connection.default_channel.queue_delete(fakes.declare_clicks_queue(api.config))
    answer = api.get(f"/r/{CODE_A}")
    assert answer.status_code == 302  # written to the journal: safe from a crash of the BFF
    [click_id] = parse_qs(urlsplit(answer.headers["Location"]).query)["click_id"]
    journal = list((tmp_path / "clicks").rglob("*.clicks"))
    assert [json.loads(line)["click_id"] for path in journal
            for line in path.read_bytes().splitlines()] == [click_id]
    fakes.declare_clicks_queue(api.config)  # `alpes topology` run: the flusher's retry lands
    [click] = wait_for(lambda: fakes.handed_over_clicks(api.config), timeout=10,
                       message="the journaled click handed over")
    assert click["click_id"] == click_id


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
    coupon = api.post("/api/v1/conversions", brand, json={
        "order_id": "o-78", "amount": "10.00", "currency": "USD", "referral_code": " BEA10 "})
    assert coupon.status_code == 201  # a coupon as the customer typed it: codes are lowercase
    assert called("tracking.record_conversion")[-1][0]["referral_code"] == "bea10"
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


def test_a_brand_approves_several_commissions_at_once_and_sees_which_were_refused(api):
    unknown = "c4000000-0000-4000-8000-0000000000ff"
    answer = api.post(f"/api/v1/brands/{BRAND_A}/commissions/approve", api.brand(BRAND_A),
                      json={"commission_ids": [COMMISSION_A, fakes.COMMISSION_B, unknown]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["approved"] == [COMMISSION_A]
    assert [(r["commission_id"], r["error"]["code"]) for r in body["refused"]] == [
        (fakes.COMMISSION_B, "not_found"), (unknown, "not_found")]  # another brand's: unknown
    assert called("commissions.approve_commissions")[-1] == (
        [COMMISSION_A, fakes.COMMISSION_B, unknown], BRAND_A)
    before = len(called("commissions.approve_commissions"))
    refused = [
        api.post(f"/api/v1/brands/{BRAND_A}/commissions/approve", api.brand(BRAND_A),
                 json={"commission_ids": []}),
        api.post(f"/api/v1/brands/{BRAND_A}/commissions/approve", api.brand(BRAND_A),
                 json={"commission_ids": [COMMISSION_A] * 101}),
        api.post(f"/api/v1/brands/{BRAND_A}/commissions/approve", api.brand(BRAND_A),
                 json={"commission_ids": ["not-an-id"]}),
        api.post(f"/api/v1/brands/{fakes.BRAND_B}/commissions/approve", api.brand(BRAND_A),
                 json={"commission_ids": [fakes.COMMISSION_B]}),
        api.post(f"/api/v1/brands/{BRAND_A}/commissions/approve", api.partner(PARTNER_A),
                 json={"commission_ids": [COMMISSION_A]})]
    assert [a.status_code for a in refused] == [422, 422, 422, 404, 403]
    assert len(called("commissions.approve_commissions")) == before  # nothing asked


def test_brands_and_partners_export_their_commissions_as_csv(api):
    answer = api.get(f"/api/v1/brands/{BRAND_A}/commissions/export?status=PENDING",
                     api.brand(BRAND_A))
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="commissions-brand-{BRAND_A}-')
    [row] = list(csv.DictReader(io.StringIO(answer.text)))
    assert (row["commission_id"], row["amount"], row["currency"]) == (
        COMMISSION_A, "20.00", "USD")
    assert called("commissions.list_commissions")[-1] == (
        {"status": "PENDING", "brand_id": BRAND_A, "page": 1, "page_size": 100},)

    mine = api.get(f"/api/v1/partners/{PARTNER_A}/commissions/export", api.partner(PARTNER_A))
    assert [r["commission_id"] for r in csv.DictReader(io.StringIO(mine.text))] == [
        COMMISSION_A]
    assert api.get(f"/api/v1/brands/{BRAND_B}/commissions/export",
                   api.brand(BRAND_A)).status_code == 404
    assert api.get(f"/api/v1/brands/{BRAND_A}/commissions/export",
                   api.partner(PARTNER_A)).status_code == 403
    bad = api.get(f"/api/v1/brands/{BRAND_A}/commissions/export?status=LOST&page=2",
                  api.brand(BRAND_A))
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"status", "page"}


def test_commissions_are_listed_and_exported_by_period(api):
    """A month's commissions: ``from`` its first day (included) ``to`` the next's."""
    period = "from=2026-11-01&to=2026-12-01"
    listed = api.get(f"/api/v1/brands/{BRAND_A}/commissions?{period}", api.brand(BRAND_A))
    assert listed.status_code == 200, listed.text
    assert called("commissions.list_commissions")[-1] == ({
        "from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z", "brand_id": BRAND_A,
        "page": 1, "page_size": 20},)
    exported = api.get(f"/api/v1/partners/{PARTNER_A}/commissions/export?{period}",
                       api.partner(PARTNER_A))
    assert exported.status_code == 200, exported.text
    assert called("commissions.list_commissions")[-1] == ({
        "from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z", "partner_id": PARTNER_A,
        "page": 1, "page_size": 100},)
    before = len(called("commissions.list_commissions"))
    for query, fields in (("from=2026-12-01&to=2026-11-01", {"to"}),
                          ("from=2026-12-01&to=2026-12-01", {"to"}),
                          ("from=yesterday&to=2026-13-01", {"from", "to"})):
        bad = api.get(f"/api/v1/brands/{BRAND_A}/commissions/export?{query}",
                      api.brand(BRAND_A))
        assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == fields, query
    assert len(called("commissions.list_commissions")) == before  # nothing asked


def test_conversions_export_with_customer_data_for_the_brand_only(api):
    brands = api.get(f"/api/v1/brands/{BRAND_A}/conversions/export"
                     "?from=2026-12-01T00:00:00Z&status=ATTRIBUTED", api.brand(BRAND_A))
    assert brands.status_code == 200, brands.text
    assert brands.headers["Content-Disposition"].startswith(
        f'attachment; filename="conversions-brand-{BRAND_A}-')
    [row] = list(csv.DictReader(io.StringIO(brands.text)))
    assert (row["order_id"], row["amount"], row["currency"]) == ("order-A's", "200.00", "USD")
    assert (row["customer_id"], row["customer_ip"]) == ("customer-A's", "198.51.100.9")
    assert row["attribution"] == "customer"  # a referred customer's renewal
    assert called("tracking.list_conversions")[-1] == ({
        "from": "2026-12-01T00:00:00Z", "status": "ATTRIBUTED", "brand_id": BRAND_A,
        "page": 1, "page_size": 100},)

    partners = api.get(f"/api/v1/partners/{PARTNER_A}/conversions/export",
                       api.partner(PARTNER_A))
    [own] = list(csv.DictReader(io.StringIO(partners.text)))
    assert own["conversion_id"] == CONVERSION_A
    assert "customer" not in partners.text.splitlines()[0] and "198.51.100.9" not in partners.text
    assert api.get(f"/api/v1/partners/{PARTNER_A}/conversions/export",
                   api.partner(fakes.PARTNER_B)).status_code == 404


def test_terms_may_pay_recurring_commissions_and_say_so_in_the_shape_asked(api):
    terms = {"model": "CPS", "rate": "0.1", "attribution_window_days": 30, "hold_days": 0,
             "recurring_months": 12}
    created = api.post(f"/api/v1/brands/{BRAND_A}/campaigns", api.brand(BRAND_A), json={
        "name": "Monthly plan", "currency": "USD", "budget": {"amount": "100", "currency": "USD"},
        "landing_url": "https://shop.example.com", "terms": terms})
    assert created.status_code == 201, created.text
    assert called("campaigns.create_campaign")[-1][0]["terms"]["recurring_months"] == 12
    before = len(called("campaigns.create_campaign"))
    for bad in ("12", 1.5, True):
        refused = api.post(f"/api/v1/brands/{BRAND_A}/campaigns", api.brand(BRAND_A), json={
            "name": "Monthly plan", "currency": "USD",
            "budget": {"amount": "100", "currency": "USD"},
            "landing_url": "https://shop.example.com", "terms": {**terms, "recurring_months": bad}})
        assert refused.status_code == 422, bad
        assert refused.json()["error"]["fields"] == {"terms": {"recurring_months": [
            "Not a valid integer."]}}, refused.json()
    assert len(called("campaigns.create_campaign")) == before  # nothing asked


def test_a_brand_suspends_and_reactivates_its_partners_links_only(api):
    suspended = api.post(f"/api/v1/enrollments/{fakes.ENROLLMENT_A}/suspend", api.brand(BRAND_A))
    assert suspended.status_code == 200, suspended.text
    assert (suspended.json()["status"], suspended.json()["suspension_reason"]) == (
        "SUSPENDED", "brand_suspended")
    assert called("campaigns.suspend_enrollment")[-1] == (fakes.ENROLLMENT_A, BRAND_A, None)
    said = api.post(f"/api/v1/enrollments/{fakes.ENROLLMENT_A}/suspend", api.brand(BRAND_A),
                    json={"note": "Coupon sites only"})
    assert said.json()["suspension_note"] == "Coupon sites only"
    too_long = api.post(f"/api/v1/enrollments/{fakes.ENROLLMENT_A}/suspend",
                        api.brand(BRAND_A), json={"note": "x" * 1001})
    assert too_long.status_code == 422 and list(too_long.json()["error"]["fields"]) == ["note"]
    restored = api.post(f"/api/v1/enrollments/{fakes.ENROLLMENT_A}/reactivate", api.brand(BRAND_A))
    assert restored.json()["status"] == "ACTIVE"
    before = len(called("campaigns.suspend_enrollment"))
    others = [api.post(f"/api/v1/enrollments/{fakes.ENROLLMENT_B}/suspend", api.brand(BRAND_A)),
              api.post(f"/api/v1/enrollments/{fakes.ENROLLMENT_A}/suspend", api.partner(PARTNER_A)),
              api.post("/api/v1/enrollments/not-an-id/suspend", api.brand(BRAND_A))]
    assert [answer.status_code for answer in others] == [404, 403, 422]
    assert len(called("campaigns.suspend_enrollment")) == before  # nothing asked


def test_a_link_s_partner_or_brand_gives_it_a_code_of_its_own(api):
    link = f"/api/v1/enrollments/{fakes.ENROLLMENT_A}/referral-code"
    mine = api.put(link, api.partner(PARTNER_A), json={"code": " BEA-Spring "})
    assert mine.status_code == 200, mine.text
    assert mine.json()["tracking_url"] == "http://localhost:8000/r/bea-spring"
    assert called("campaigns.change_referral_code")[-1] == (
        fakes.ENROLLMENT_A, "bea-spring", PARTNER_A, None)
    brands = api.put(link, api.brand(BRAND_A), json={"code": "acme-bea"})
    assert brands.json()["referral_code"] == "acme-bea"
    assert called("campaigns.change_referral_code")[-1] == (
        fakes.ENROLLMENT_A, "acme-bea", None, BRAND_A)
    taken = api.put(link, api.partner(PARTNER_A), json={"code": fakes.CODE_B})
    assert taken.status_code == 409
    assert taken.json()["error"]["fields"] == {"code": ["Already taken: choose another."]}
    before = len(called("campaigns.change_referral_code"))
    refused = [
        api.put(link, api.partner(PARTNER_A), json={"code": "b!"}),
        api.put(link, api.partner(PARTNER_A), json={"code": "x" * 17}),
        api.put(link, api.partner(PARTNER_A), json={"code": "-bea"}),
        api.put(f"/api/v1/enrollments/{fakes.ENROLLMENT_B}/referral-code",
                api.partner(PARTNER_A), json={"code": "bea10"}),
        api.put(f"/api/v1/enrollments/{fakes.ENROLLMENT_B}/referral-code", api.brand(BRAND_A),
                json={"code": "bea10"})]
    assert [answer.status_code for answer in refused] == [422, 422, 422, 404, 404]
    assert [answer.json()["error"]["fields"]["code"] for answer in refused[:3]] == [
        ["From 3 to 16 characters."], ["From 3 to 16 characters."],
        ["Letters, digits and hyphens only, starting and ending with a letter or a digit."]]
    assert len(called("campaigns.change_referral_code")) == before  # nothing asked


def test_a_brand_pays_its_own_partners_their_own_figures_only(api):
    link = f"/api/v1/enrollments/{fakes.ENROLLMENT_A}/commission"
    own = api.put(link, api.brand(BRAND_A), json={"rate": "0.150", "max": {
        "amount": "50.00", "currency": "USD"}})
    assert own.status_code == 200, own.text
    assert own.json()["commission"] == {"model": "CPS", "rate": "0.150", "min": None,
                                        "max": {"amount": "50.00", "currency": "USD"},
                                        "amount": None}
    assert called("campaigns.set_partner_commission")[-1] == (
        fakes.ENROLLMENT_A, BRAND_A, {"rate": "0.150", "min": None,
                                      "max": {"amount": "50.00", "currency": "USD"},
                                      "amount": None})
    back = api.delete(link, api.brand(BRAND_A))
    assert (back.status_code, back.json()["commission"]) == (200, None)
    assert called("campaigns.set_partner_commission")[-1] == (fakes.ENROLLMENT_A, BRAND_A, None)
    before = len(called("campaigns.set_partner_commission"))
    refused = [
        api.put(link, api.brand(BRAND_A), json={"rate": "lots", "amount": {"amount": "1"}}),
        api.put(f"/api/v1/enrollments/{fakes.ENROLLMENT_B}/commission", api.brand(BRAND_A),
                json={"rate": "0.2"}),
        api.put(link, api.partner(PARTNER_A), json={"rate": "0.9"}),
        api.delete(f"/api/v1/enrollments/{fakes.ENROLLMENT_B}/commission", api.brand(BRAND_A))]
    assert [answer.status_code for answer in refused] == [422, 404, 403, 404]
    assert set(refused[0].json()["error"]["fields"]) == {"rate", "amount"}
    assert len(called("campaigns.set_partner_commission")) == before  # nothing asked
    too_much = api.put(link, api.brand(BRAND_A), json={"rate": "2"})  # refused by campaigns
    assert too_much.status_code == 422
    assert list(too_much.json()["error"]["fields"]) == ["rate"]  # the body's own field


def test_a_brand_awards_bonuses_to_its_own_campaigns_partners_only(api, monkeypatch):
    bonuses = f"/api/v1/campaigns/{CAMPAIGN_A}/bonuses"
    body = {"partner_id": PARTNER_A, "amount": {"amount": "25.00", "currency": "USD"},
            "note": "Great launch video", "reference": "launch-bea"}
    awarded = api.post(bonuses, api.brand(BRAND_A), json=body)
    assert awarded.status_code == 201, awarded.text
    assert (awarded.json()["kind"], awarded.json()["note"], awarded.json()["status"]) == (
        "bonus", "Great launch video", "APPROVED")
    assert called("commissions.award_bonus")[-1] == ({
        "reference": "launch-bea", "acting_brand_id": BRAND_A, "campaign_id": CAMPAIGN_A,
        "partner_id": PARTNER_A, "amount": {"amount": "25.00", "currency": "USD"},
        "note": "Great launch video", "campaign_name": fakes.CAMPAIGNS[CAMPAIGN_A]["name"]},)
    unnamed = api.post(bonuses, api.brand(BRAND_A), json={**body, "reference": None})
    assert unnamed.status_code == 201 and called("commissions.award_bonus")[-1][0][
        "reference"] != "launch-bea"  # a new one: every request without a reference is new
    too_much = api.post(bonuses, api.brand(BRAND_A), json={
        **body, "amount": {"amount": "999999.00", "currency": "USD"}})
    assert (too_much.status_code, too_much.json()["error"]["code"]) == (409, "budget_exhausted")
    assert too_much.json()["error"]["fields"] == {"amount": ["At most 980.00 USD."]}
    before = len(called("commissions.award_bonus"))
    refused = [
        api.post(bonuses, api.brand(BRAND_A), json={**body, "partner_id": fakes.PARTNER_B}),
        api.post(bonuses, api.brand(BRAND_A), json={**body, "note": "", "amount": {
            "amount": "lots", "currency": "USD"}}),
        api.post(f"/api/v1/campaigns/{fakes.CAMPAIGN_B}/bonuses", api.brand(BRAND_A),
                 json=body),
        api.post(bonuses, api.partner(PARTNER_A), json=body)]
    assert [answer.status_code for answer in refused] == [422, 422, 404, 403]
    assert list(refused[0].json()["error"]["fields"]) == ["partner_id"]
    assert set(refused[1].json()["error"]["fields"]) == {"note", "amount"}
    monkeypatch.setitem(fakes.CAMPAIGNS[CAMPAIGN_A], "status", "ENDED")
    ended = api.post(bonuses, api.brand(BRAND_A), json=body)
    assert (ended.status_code, ended.json()["error"]["code"]) == (409, "campaign_closed")
    assert len(called("commissions.award_bonus")) == before  # nothing asked


def test_a_brand_reviews_applications_to_its_own_campaigns_only(api):
    approved = api.post(f"/api/v1/enrollments/{fakes.ENROLLMENT_A}/approve", api.brand(BRAND_A))
    assert approved.status_code == 200, approved.text
    assert called("campaigns.approve_enrollment")[-1] == (fakes.ENROLLMENT_A, BRAND_A)
    declined = api.post(f"/api/v1/enrollments/{fakes.ENROLLMENT_A}/decline", api.brand(BRAND_A))
    assert (declined.json()["status"], declined.json()["referral_code"]) == ("DECLINED", None)
    assert called("campaigns.decline_enrollment")[-1] == (fakes.ENROLLMENT_A, BRAND_A, None)
    said = api.post(f"/api/v1/enrollments/{fakes.ENROLLMENT_A}/decline", api.brand(BRAND_A),
                    json={"reason": "Outside our markets"})
    assert said.json()["decline_reason"] == "Outside our markets"
    before = len(called("campaigns.decline_enrollment"))
    others = [api.post(f"/api/v1/enrollments/{fakes.ENROLLMENT_B}/decline", api.brand(BRAND_A)),
              api.post(f"/api/v1/enrollments/{fakes.ENROLLMENT_A}/decline", api.partner(PARTNER_A)),
              api.post("/api/v1/enrollments/not-an-id/decline", api.brand(BRAND_A)),
              api.post(f"/api/v1/enrollments/{fakes.ENROLLMENT_A}/decline", api.brand(BRAND_A),
                       json={"reason": "x" * 1001})]
    assert [answer.status_code for answer in others] == [404, 403, 422, 422]
    assert list(others[-1].json()["error"]["fields"]) == ["reason"]
    assert len(called("campaigns.decline_enrollment")) == before  # nothing asked


def test_a_partner_leaves_its_own_campaigns_only(api):
    left = api.post(f"/api/v1/enrollments/{fakes.ENROLLMENT_A}/leave", api.partner(PARTNER_A))
    assert left.status_code == 200, left.text
    assert (left.json()["status"], left.json()["suspension_reason"]) == (
        "SUSPENDED", "partner_left")
    assert called("campaigns.leave_campaign")[-1] == (fakes.ENROLLMENT_A, PARTNER_A)
    before = len(called("campaigns.leave_campaign"))
    others = [api.post(f"/api/v1/enrollments/{fakes.ENROLLMENT_B}/leave", api.partner(PARTNER_A)),
              api.post(f"/api/v1/enrollments/{fakes.ENROLLMENT_A}/leave", api.brand(BRAND_A)),
              api.post("/api/v1/enrollments/not-an-id/leave", api.partner(PARTNER_A))]
    assert [answer.status_code for answer in others] == [404, 403, 422]
    assert len(called("campaigns.leave_campaign")) == before  # nothing asked


def test_a_partner_withdraws_its_own_application_only(api):
    withdrawn = api.post(f"/api/v1/enrollments/{fakes.ENROLLMENT_A}/withdraw",
                         api.partner(PARTNER_A))
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "WITHDRAWN"
    assert called("campaigns.withdraw_application")[-1] == (fakes.ENROLLMENT_A, PARTNER_A)
    before = len(called("campaigns.withdraw_application"))
    others = [api.post(f"/api/v1/enrollments/{fakes.ENROLLMENT_B}/withdraw",
                       api.partner(PARTNER_A)),
              api.post(f"/api/v1/enrollments/{fakes.ENROLLMENT_A}/withdraw", api.brand(BRAND_A)),
              api.post("/api/v1/enrollments/not-an-id/withdraw", api.partner(PARTNER_A))]
    assert [answer.status_code for answer in others] == [404, 403, 422]
    assert len(called("campaigns.withdraw_application")) == before  # nothing asked


def test_a_partner_applies_with_a_note_and_a_campaign_says_how_partners_join(api):
    applied = api.post(f"/api/v1/partners/{PARTNER_A}/enrollments", api.partner(PARTNER_A),
                       json={"campaign_id": CAMPAIGN_A, "note": "40k readers"})
    assert applied.status_code == 201, applied.text
    assert called("campaigns.enroll_partner")[-1] == (CAMPAIGN_A, PARTNER_A, "40k readers")
    before = len(called("campaigns.enroll_partner"))
    too_long = api.post(f"/api/v1/partners/{PARTNER_A}/enrollments", api.partner(PARTNER_A),
                        json={"campaign_id": CAMPAIGN_A, "note": "x" * 1001})
    assert too_long.status_code == 422 and list(too_long.json()["error"]["fields"]) == ["note"]
    assert len(called("campaigns.enroll_partner")) == before  # nothing asked

    body = {"name": "Ambassadors", "currency": "USD",
            "budget": {"amount": "100", "currency": "USD"},
            "landing_url": "https://shop.example.com",
            "terms": {"model": "CPA", "amount": {"amount": "5", "currency": "USD"},
                      "attribution_window_days": 30, "hold_days": 0}}
    created = api.post(f"/api/v1/brands/{BRAND_A}/campaigns", api.brand(BRAND_A),
                       json={**body, "admission": "review"})
    assert created.status_code == 201, created.text
    assert called("campaigns.create_campaign")[-1][0]["admission"] == "review"
    refused = api.post(f"/api/v1/brands/{BRAND_A}/campaigns", api.brand(BRAND_A),
                       json={**body, "admission": "invite"})
    assert refused.status_code == 422
    assert list(refused.json()["error"]["fields"]) == ["admission"]


def test_a_brand_switches_its_own_campaign_to_review(api):
    switched = api.post(f"/api/v1/campaigns/{CAMPAIGN_A}/admission", api.brand(BRAND_A),
                        json={"admission": "review"})
    assert switched.status_code == 200, switched.text
    assert switched.json()["admission"] == "review"
    assert called("campaigns.change_admission")[-1] == (CAMPAIGN_A, BRAND_A, "review")
    before = len(called("campaigns.change_admission"))
    others = [api.post(f"/api/v1/campaigns/{fakes.CAMPAIGN_B}/admission", api.brand(BRAND_A),
                       json={"admission": "review"}),
              api.post(f"/api/v1/campaigns/{CAMPAIGN_A}/admission", api.brand(BRAND_A),
                       json={"admission": "sometimes"}),
              api.post(f"/api/v1/campaigns/{CAMPAIGN_A}/admission", api.partner(PARTNER_A),
                       json={"admission": "open"})]
    assert [answer.status_code for answer in others] == [404, 422, 403]
    assert len(called("campaigns.change_admission")) == before  # nothing asked


def test_payouts_export_for_operators_and_each_partner_its_own(api):
    everyone = api.get("/api/v1/payouts/export?status=PAID", api.admin())
    assert everyone.status_code == 200, everyone.text
    assert everyone.headers["Content-Disposition"].startswith('attachment; filename="payouts-')
    assert {r["payout_id"] for r in csv.DictReader(io.StringIO(everyone.text))} == {
        PAYOUT_A, fakes.PAYOUT_B}
    mine = api.get(f"/api/v1/partners/{PARTNER_A}/payouts/export", api.partner(PARTNER_A))
    [row] = list(csv.DictReader(io.StringIO(mine.text)))
    assert (row["payout_id"], row["amount"], row["currency"]) == (PAYOUT_A, "20.00", "USD")
    assert "saga" not in mine.text  # the step log is the operators'
    assert called("payouts.list_payouts")[-1] == (
        {"partner_id": PARTNER_A, "page": 1, "page_size": 100},)
    assert api.get("/api/v1/payouts/export", api.partner(PARTNER_A)).status_code == 403
    assert api.get(f"/api/v1/partners/{fakes.PARTNER_B}/payouts/export",
                   api.partner(PARTNER_A)).status_code == 404


def test_available_campaigns_say_whether_the_partner_may_join(api):
    answer = api.get("/api/v1/partner/campaigns", api.partner(PARTNER_A))
    items = {item["campaign_id"]: item for item in answer.json()["items"]}
    assert items[CAMPAIGN_A]["enrolled"] is True and items[CAMPAIGN_A]["eligible"] is True
    assert items[CAMPAIGN_A]["enrollment_status"] == "ACTIVE"
    assert (items[CAMPAIGN_A]["enrollment_id"], items[CAMPAIGN_A]["decline_reason"]) == (
        fakes.ENROLLMENT_A, None)
    assert [item["enrollment_status"] for item in items.values()
            if item["campaign_id"] != CAMPAIGN_A] == [None] * (len(items) - 1)
    assert "budget" not in items[CAMPAIGN_A]
    assert called("campaigns.list_campaigns")[0][0]["status"] == "ACTIVE"


DASHBOARD_RPCS = ("partners.get_partner", "campaigns.list_enrollments",
                  "tracking.partner_stats", "commissions.get_balance",
                  "commissions.list_commissions", "campaigns.get_brand",
                  "campaigns.list_campaigns", "commissions.get_campaign_budget",
                  "tracking.campaign_stats")


def dashboard_rpcs() -> list[str]:
    return [name for name, _ in fakes.CALLS if name in DASHBOARD_RPCS]


def test_the_partner_dashboard_is_read_from_the_read_model_without_an_rpc(api):
    read_model_world.told(api)
    api.get("/api/v1/partner/dashboard", api.partner(PARTNER_A))  # its standing: cached
    wait_for(lambda: ({"partner_id": PARTNER_A, "ip": "127.0.0.1"},) in called(
        "tracking.record_partner_ip"), message="the partner's IP reported")
    fakes.CALLS.clear()
    answer = api.get("/api/v1/partner/dashboard", api.partner(PARTNER_A))
    assert answer.status_code == 200
    board = answer.json()
    assert PartnerDashboardOut().validate(board) == {}
    assert board["profile"]["partner_id"] == PARTNER_A and board["unavailable"] == []
    assert board["enrollments"][0]["tracking_url"].endswith(f"/r/{CODE_A}")
    assert board["enrollments"][0]["stats"]["conversions"] == 1
    [campaign] = board["stats"]["campaigns"]
    assert campaign["campaign_id"] == CAMPAIGN_A and campaign["totals"]["clicks"] == 3
    assert board["balance"]["balances"][0]["pending"] == "20.00"
    chart = board["chart"]
    assert len(chart["days"]) == 30 and chart["complete"] is True
    assert sum(day["clicks"] for day in chart["days"]) == 3
    assert fakes.B_MARKER not in answer.text
    assert dashboard_rpcs() == []
    assert called("tracking.record_partner_ip") == []  # once per IP: at the first request


def test_the_brand_dashboard_shows_budgets_stats_and_commissions_to_approve(api):
    read_model_world.told(api)
    fakes.CALLS.clear()
    answer = api.get(f"/api/v1/brands/{BRAND_A}/dashboard", api.brand(BRAND_A))
    board = answer.json()
    assert BrandDashboardOut().validate(board) == {}
    [summary] = board["campaigns"]
    assert summary["campaign"]["campaign_id"] == CAMPAIGN_A
    assert summary["budget"]["remaining"] == {"amount": "980.00", "currency": "USD"}
    assert summary["stats"]["totals"]["clicks"] == 3
    assert summary["pending_commissions"] == {"count": 1, "amount": fakes.usd("20.00")}
    assert board["pending_commissions"] == {"count": 1, "amounts": [fakes.usd("20.00")]}
    assert board["campaigns_total"] == 1 and board["unavailable"] == []
    assert [(p["partner_id"], p["name"], p["conversions"]) for p in board["top_partners"]] == [
        (PARTNER_A, "Partner A's", 1)]
    assert fakes.B_MARKER not in answer.text and dashboard_rpcs() == []


def test_a_brand_sees_its_partners_by_name_on_screen_and_in_csv(api):
    brand = api.brand(BRAND_A)
    lists = (f"/api/v1/campaigns/{CAMPAIGN_A}/enrollments",
             f"/api/v1/brands/{BRAND_A}/commissions", f"/api/v1/brands/{BRAND_A}/conversions")
    # not heard of yet: the id alone
    assert [api.get(path, brand).json()["items"][0]["partner_name"] for path in lists] == [
        None] * 3
    read_model_world.told(api)
    fakes.CALLS.clear()
    named = [api.get(path, brand).json()["items"][0] for path in lists]
    assert [(item["partner_id"], item["partner_name"]) for item in named] == [
        (PARTNER_A, "Partner A's")] * 3
    assert not any(name.startswith("partners.") for name, _ in fakes.CALLS)  # no RPC asked
    for export in ("commissions", "conversions"):
        text = api.get(f"/api/v1/brands/{BRAND_A}/{export}/export", brand).text
        [row] = list(csv.DictReader(io.StringIO(text)))
        assert (row["partner_id"], row["partner_name"]) == (PARTNER_A, "Partner A's"), export
    partners_own = api.get(f"/api/v1/partners/{PARTNER_A}/commissions",
                           api.partner(PARTNER_A)).json()["items"][0]
    assert "partner_name" not in partners_own  # a partner knows its own name


def test_a_partner_or_brand_not_heard_of_yet_gets_its_owners_answer(api):
    board = api.get("/api/v1/partner/dashboard", api.partner(PARTNER_A)).json()
    assert board["profile"]["partner_id"] == PARTNER_A and board["enrollments"] == []
    assert len(board["chart"]["days"]) == 30 and board["balance"]["balances"] == []
    brand = api.get(f"/api/v1/brands/{BRAND_A}/dashboard", api.brand(BRAND_A)).json()
    assert brand["brand"]["brand_id"] == BRAND_A and brand["campaigns"] == []
    missing = "c0000000-0000-4000-8000-00000000000c"
    assert api.get(f"/api/v1/brands/{missing}/dashboard", api.admin()).status_code == 404


def test_the_dashboards_answer_while_the_services_behind_them_are_down(start_bff,
                                                                       start_service):
    start_service(fakes.FakePartners)  # the partner's standing (cached for seconds)
    api = start_bff(rpc_timeout_seconds=1)
    read_model_world.told(api)
    board = api.get("/api/v1/partner/dashboard", api.partner(PARTNER_A)).json()
    assert board["balance"]["balances"][0]["pending"] == "20.00"
    assert board["enrollments"][0]["stats"]["clicks"] == 3 and board["unavailable"] == []
    brand = api.get(f"/api/v1/brands/{BRAND_A}/dashboard", api.brand(BRAND_A)).json()
    assert brand["campaigns"][0]["budget"]["reserved"] == fakes.usd("20.00")


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
