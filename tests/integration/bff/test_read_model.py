"""The BFF's read model over the real broker, on SQLite and PostgreSQL: events in, the
dashboards out. Batches arrive twice, out of order and at once (the BFF's workers keep
them concurrently): the newest revision of every row wins, and each campaign's and each
partner's sums end where the newest rows say."""
from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from common.contracts import campaigns, commissions, partners, tracking
from tests.integration.bff import fakes, read_model_world
from tests.integration.bff.fakes import BRAND_A, CAMPAIGN_A, PARTNER_A, PARTNER_B
from tests.support import migrated, publish_event, wait_for

TODAY = datetime.now(UTC).date()
YESTERDAY = TODAY - timedelta(days=1)


@pytest.fixture
def api(start_bff, fake_world, make_db_uri, db_kind):
    return start_bff(db_uris={"bff": migrated("bff", make_db_uri(db_kind, "bff"))})


def stats_row(partner_id, clicks, revision, day=TODAY, conversions=0, revenue="0.00"):
    return {"partner_id": partner_id, "campaign_id": CAMPAIGN_A, "brand_id": BRAND_A,
            "day": day.isoformat(), "clicks": clicks, "valid_clicks": clicks,
            "conversions": conversions, "rejected_conversions": 0,
            "revenue": fakes.usd(revenue), "revision": revision}


def ledger(pending, approved, revision, at):
    return {"partner_id": PARTNER_A, "currency": "USD", "pending": pending,
            "approved": approved, "in_payout": "0.00", "paid": "0.00", "adjustments": "0.00",
            "revision": revision, "updated_at": at.isoformat()}


def partner_board(api) -> dict:
    return api.get("/api/v1/partner/dashboard", api.partner(PARTNER_A)).json()


def brand_board(api) -> dict:
    return api.get(f"/api/v1/brands/{BRAND_A}/dashboard", api.brand(BRAND_A)).json()


def test_profiles_move_only_forward(api):
    read_model_world.told(api)
    snapshot = {**fakes.PARTNERS[PARTNER_A], "payout_method": None,
                "registered_at": read_model_world.AT}
    publish_event(api.config, partners.PARTNER_PAYOUT_METHOD_CHANGED, {
        **snapshot, "revision": 8, "payout_method": {"type": "paypal", "email": "a@ex.com"}})
    publish_event(api.config, partners.PARTNER_VERIFIED,
                  {**snapshot, "status": "PENDING", "revision": 2})
    board = wait_for(lambda: (lambda b: b if b["profile"]["revision"] == 8 else None)(
        partner_board(api)), timeout=15, message="revision 8")
    publish_event(api.config, partners.PARTNER_REGISTERED, {
        **snapshot, "status": "PENDING", "kyc_status": "NOT_VERIFIED", "revision": 1})
    publish_event(api.config, partners.PARTNER_ACTIVATED, {**snapshot, "revision": 8})
    time.sleep(1)  # what came late changed nothing
    board = partner_board(api)
    assert (board["profile"]["status"], board["profile"]["revision"]) == ("ACTIVE", 8)
    assert board["profile"]["payout_method"] == {"type": "paypal", "email": "a@ex.com"}


def test_stats_batches_twice_out_of_order_and_at_once_end_at_the_newest(api):
    read_model_world.told(api)  # revision 2: 3 clicks each for A and B today
    newest = stats_row(PARTNER_A, 40, 41, conversions=2, revenue="300.00")
    batches = [[stats_row(PARTNER_A, n, n + 1)] for n in range(2, 40)] + [[newest]]
    batches.append([stats_row(PARTNER_B, 5, 3, conversions=1, revenue="200.00"),
                    stats_row(PARTNER_B, 2, 1, day=YESTERDAY)])
    random.Random(7).shuffle(batches)
    for batch in batches + batches[:5]:  # some twice
        publish_event(api.config, tracking.STATS_CHANGED, {"rows": batch})

    def settled():
        brand = brand_board(api)
        return brand if brand["campaigns"][0]["stats"]["totals"]["clicks"] == 47 else None

    brand = wait_for(settled, timeout=30, message="the campaign's sum at the newest rows")
    totals = brand["campaigns"][0]["stats"]["totals"]  # A 40 + B 5 today + B 2 yesterday
    assert (totals["conversions"], totals["revenue"]) == (3, fakes.usd("500.00"))
    # its partners ranked by conversions: B's two days summed, revenue exact
    assert [(p["partner_id"], p["name"], p["conversions"], p["clicks"], p["revenue"])
            for p in brand["top_partners"]] == [
        (PARTNER_A, fakes.PARTNERS[PARTNER_A]["name"], 2, 40, [fakes.usd("300.00")]),
        (PARTNER_B, fakes.PARTNERS[PARTNER_B]["name"], 1, 7, [fakes.usd("200.00")])]
    board = partner_board(api)
    assert board["enrollments"][0]["stats"]["clicks"] == 40
    assert board["stats"]["campaigns"][0]["totals"]["conversions"] == 2
    chart = {day["day"]: day for day in board["chart"]["days"]}
    assert chart[TODAY.isoformat()]["clicks"] == 40
    assert chart[YESTERDAY.isoformat()]["clicks"] == 0  # B's


def test_ledgers_budgets_and_earnings_follow_the_newest_revisions(api):
    read_model_world.told(api)  # ledger revision 1: 20.00 pending, posted 2026-11-29
    yesterday = datetime.combine(YESTERDAY, datetime.min.time(), UTC) + timedelta(hours=9)
    today = datetime.combine(TODAY, datetime.min.time(), UTC) + timedelta(hours=1)
    budget = {"campaign_id": CAMPAIGN_A, "brand_id": BRAND_A, "total": fakes.usd("1000.00"),
              "reserved": fakes.usd("45.00"), "exhausted": False, "pending_count": 1,
              "pending_amount": fakes.usd("25.00"), "revision": 6,
              "updated_at": today.isoformat()}
    older = {**budget, "pending_count": 3, "revision": 4}

    def told(ledgers, budgets, until, message):
        """One batch, then its ledger as the partner's board shows it: the BFF takes
        several events at once, so waiting keeps them in the order under test."""
        publish_event(api.config, commissions.BALANCES_CHANGED,
                      {"ledgers": ledgers, "budgets": budgets})
        return wait_for(lambda: (lambda b: b if until(b["balance"]["balances"][0]) else None)(
            partner_board(api)), timeout=15, message=message)

    told([ledger("45.00", "0.00", 3, yesterday)], [],
         lambda b: b["pending"] == "45.00", "ledger revision 3")
    told([ledger("25.00", "20.00", 5, today)], [budget],
         lambda b: b["approved"] == "20.00", "ledger revision 5")
    # an older batch arriving late (a redelivery): both of its rows are left alone
    publish_event(api.config, commissions.BALANCES_CHANGED, {
        "ledgers": [ledger("60.00", "0.00", 4, yesterday)], "budgets": [older]})
    time.sleep(1)  # the late batch handled (it changes nothing there is to wait for)
    board = partner_board(api)
    balance = board["balance"]["balances"][0]
    assert (balance["pending"], balance["payable"]) == ("25.00", "20.00")
    earned = {day["day"]: day["earnings"] for day in board["chart"]["days"]}
    assert earned[YESTERDAY.isoformat()] == [fakes.usd("25.00")]  # 20.00 -> 45.00
    assert earned[TODAY.isoformat()] == []  # 45.00 -> 45.00: approved, nothing earned
    wait_for(lambda: brand_board(api)["pending_commissions"]["amounts"] == [
        fakes.usd("25.00")], timeout=15, message="budget revision 6")
    summary = brand_board(api)["campaigns"][0]
    assert summary["budget"]["remaining"] == fakes.usd("955.00")
    assert summary["pending_commissions"] == {"count": 1, "amount": fakes.usd("25.00")}


def test_a_campaign_created_after_its_activation_arrived_keeps_both(api):
    read_model_world.told(api)
    campaign = {**read_model_world.campaign_snapshot(CAMPAIGN_A), "status": "PAUSED",
                "revision": 4, "name": "Renamed"}
    publish_event(api.config, campaigns.CAMPAIGN_PAUSED, {"campaign": campaign,
                                                           "reason": "manual"})
    publish_event(api.config, campaigns.CAMPAIGN_CREATED, {"campaign": {
        **campaign, "status": "DRAFT", "revision": 1}})
    board = wait_for(lambda: (lambda b: b if b["campaigns"][0]["campaign"]["status"] ==
                              "PAUSED" else None)(brand_board(api)), timeout=15,
                     message="the paused campaign")
    assert board["campaigns"][0]["campaign"]["name"] == "Renamed"


def application(enrollment_id: str, status: str, revision: int) -> dict:
    return {"enrollment_id": enrollment_id, "campaign_id": CAMPAIGN_A, "brand_id": BRAND_A,
            "campaign_name": "Spring",
            "partner_id": PARTNER_B, "status": status, "applied_at": read_model_world.AT,
            "revision": revision}


def test_the_brand_sees_the_applications_waiting_for_its_review(api):
    read_model_world.told(api)
    waiting, declined, approved, withdrawn = (str(uuid.uuid4()) for _ in range(4))
    publish_event(api.config, campaigns.ENROLLMENT_REQUESTED,
                  {**application(waiting, "PENDING", 1), "note": None})
    publish_event(api.config, campaigns.ENROLLMENT_REQUESTED,
                  {**application(withdrawn, "PENDING", 1), "note": None})
    publish_event(api.config, campaigns.ENROLLMENT_WITHDRAWN,
                  application(withdrawn, "WITHDRAWN", 2))
    # the decision arrives before the application: the newer revision stays
    publish_event(api.config, campaigns.ENROLLMENT_DECLINED,
                  {**application(declined, "DECLINED", 2), "reason": "Not now"})
    publish_event(api.config, campaigns.ENROLLMENT_REQUESTED,
                  {**application(declined, "PENDING", 1), "note": "hi"})
    publish_event(api.config, campaigns.ENROLLMENT_REQUESTED,
                  {**application(approved, "PENDING", 1), "note": None})
    publish_event(api.config, campaigns.PARTNER_ENROLLED, {
        **fakes.ENROLLMENTS[fakes.ENROLLMENT_A], "enrollment_id": approved,
        "partner_id": PARTNER_B, "enrolled_at": read_model_world.AT, "revision": 2,
        "campaign": read_model_world.campaign_snapshot(CAMPAIGN_A),
        "terms_history": [fakes.TERMS]})

    def settled():
        board = brand_board(api)
        links = api.get("/api/v1/partner/dashboard", api.partner(PARTNER_B)).json()
        enrolled = any(link["enrollment_id"] == approved for link in links["enrollments"])
        return board if enrolled and board["pending_applications"] == 1 else None

    board = wait_for(settled, timeout=15, message="one application waiting")
    time.sleep(1)  # the late PENDING of the declined one changed nothing
    board = brand_board(api)
    assert board["pending_applications"] == 1
    [summary] = [s for s in board["campaigns"] if s["campaign"]["campaign_id"] == CAMPAIGN_A]
    assert summary["pending_applications"] == 1
    other = api.get(f"/api/v1/brands/{fakes.BRAND_B}/dashboard", api.brand(fakes.BRAND_B))
    assert other.json()["pending_applications"] == 0  # another brand's count is its own


def test_a_brand_ranks_its_partners_over_a_period_of_its_choosing(api):
    read_model_world.told(api)  # revision 2: 3 clicks each today, A in brand A's campaign
    publish_event(api.config, tracking.STATS_CHANGED, {"rows": [
        stats_row(PARTNER_A, 40, 3, conversions=2, revenue="300.00"),
        stats_row(PARTNER_B, 5, 3, conversions=1, revenue="200.00"),
        stats_row(PARTNER_B, 2, 1, day=YESTERDAY)]})
    report_of = f"/api/v1/brands/{BRAND_A}/reports/partners"

    def report(query: str = "") -> dict:
        answer = api.get(f"{report_of}?{query}", api.brand(BRAND_A))
        assert answer.status_code == 200, answer.text
        return answer.json()

    wait_for(lambda: report()["total"] == 2 and report()["items"][0]["clicks"] == 40,
             timeout=15, message="the newest stats in the report")
    whole = report()
    assert (whole["from"], whole["to"]) == ((TODAY - timedelta(days=29)).isoformat(),
                                            (TODAY + timedelta(days=1)).isoformat())
    assert [(r["partner_id"], r["name"], r["clicks"], r["conversions"], r["revenue"],
             r["conversion_rate"]) for r in whole["items"]] == [
        (PARTNER_A, fakes.PARTNERS[PARTNER_A]["name"], 40, 2, fakes.usd("300.00"), "0.0500"),
        (PARTNER_B, fakes.PARTNERS[PARTNER_B]["name"], 7, 1, fakes.usd("200.00"), "0.1429")]
    today_only = report(f"from={TODAY.isoformat()}")
    assert [r["clicks"] for r in today_only["items"]] == [40, 5]
    second = report("page=2&page_size=1")
    assert ([r["partner_id"] for r in second["items"]], second["total"]) == ([PARTNER_B], 2)
    assert report(f"campaign_id={fakes.CAMPAIGN_B}")["items"] == []  # not brand A's
    assert report(f"campaign_id={CAMPAIGN_A}")["total"] == 2

    refused = [api.get(f"{report_of}?from={TODAY}&to={TODAY}", api.brand(BRAND_A)),
               api.get(f"{report_of}?from=2025-01-01&to=2026-06-01", api.brand(BRAND_A)),
               api.get(f"{report_of}?from=yesterday", api.brand(BRAND_A)),
               api.get(report_of, api.brand(fakes.BRAND_B)),
               api.get(report_of, api.partner(PARTNER_A))]
    assert [a.status_code for a in refused] == [422, 422, 422, 404, 403]
    assert [set(a.json()["error"]["fields"]) for a in refused[:3]] == [{"to"}, {"to"}, {"from"}]

    exported = api.get(f"{report_of}/export", api.brand(BRAND_A))
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith(
        "text/csv")
    lines = exported.text.splitlines()
    assert lines[0] == ("partner_id,partner_name,currency,clicks,valid_clicks,conversions,"
                        "rejected_conversions,revenue,conversion_rate")
    assert lines[1].startswith(f"{PARTNER_A},")
    assert lines[1].endswith(",USD,40,40,2,0,300.00,0.0500")
    assert len(lines) == 3
