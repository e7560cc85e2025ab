"""The batch ingestion path (one answer per item, in order) and the read side."""
from datetime import timedelta

import pytest
from sqlalchemy import text

from common.seedwork.domain.clock import isoformat
from common.seedwork.errors import NotFound, ValidationError
from tests.integration.tracking.conftest import NOW
from tests.integration.tracking.helpers import BROWSER, convert


def test_a_batch_of_clicks_answers_each_item_in_order(rpc, world):
    campaign = world.campaign()
    enrollment = world.enroll(campaign)
    code = enrollment["referral_code"]
    good = [{"referral_code": code, "ip": f"10.{n // 250}.{n % 250}.1", "user_agent": BROWSER}
            for n in range(995)]
    bad = [{"referral_code": "UNKNOWN", "ip": "10.0.0.1", "user_agent": BROWSER},
           {"referral_code": code, "ip": "not-an-ip", "user_agent": BROWSER},
           {"referral_code": code, "ip": "10.0.0.1", "user_agent": BROWSER,
            "landing_url": "https://evil.example/"},
           {"referral_code": code, "ip": "10.0.0.1", "user_agent": BROWSER,
            "occurred_at": isoformat(NOW + timedelta(hours=1))},
           {"referral_code": code, "ip": "10.0.0.1", "user_agent": BROWSER,
            "landing_url": "https://shop.example/shoes?size=42"}]
    results = rpc.record_clicks(good[:500] + bad + good[500:])["results"]
    assert len(results) == 1000
    errors = [r["error"] for r in results[500:504]]
    assert [(e["code"], sorted(e["fields"])) for e in errors] == [
        ("not_found", ["referral_code"]), ("validation_error", ["ip"]),
        ("validation_error", ["landing_url"]), ("validation_error", ["occurred_at"])]
    deep = results[504]
    assert deep["redirect_url"] == f"https://shop.example/shoes?size=42&click_id={deep['click_id']}"
    stored = [r for r in results if "click_id" in r]
    assert len(stored) == 996 and len({r["click_id"] for r in stored}) == 996
    with world.database.reader() as conn:
        assert conn.execute(text("SELECT count(*) FROM clicks")).scalar() == 996


def test_get_and_list_conversions(rpc, world, clock):
    campaign = world.campaign()
    alice, bob = world.enroll(campaign), world.enroll(campaign)
    for n in range(3):
        clock.advance(hours=1)
        convert(rpc, campaign, f"a-{n}", referral_code=alice["referral_code"])
    clock.advance(hours=1)
    last = convert(rpc, campaign, "b-0", referral_code=bob["referral_code"])
    convert(rpc, campaign, "none-0")

    assert rpc.get_conversion(last["conversion_id"]) == last
    with pytest.raises(NotFound):
        rpc.get_conversion("6f9619ff-8b86-d011-b42d-00c04fc964ff")
    with pytest.raises(ValidationError):
        rpc.get_conversion("nope")

    page = rpc.list_conversions({"campaign_id": campaign.id, "page_size": 2})
    assert (page["total"], [c["order_id"] for c in page["items"]]) == (4, ["b-0", "a-2"])
    assert rpc.list_conversions({"partner_id": alice["partner_id"]})["total"] == 3
    assert rpc.list_conversions({"brand_id": campaign.brand_id, "status": "UNATTRIBUTED"})[
        "items"][0]["order_id"] == "none-0"
    window = rpc.list_conversions({"campaign_id": campaign.id,
                                   "from": isoformat(NOW + timedelta(hours=2)),
                                   "to": isoformat(NOW + timedelta(hours=4))})
    assert [c["order_id"] for c in window["items"]] == ["a-2", "a-1"]
    with pytest.raises(ValidationError) as error:
        rpc.list_conversions({"status": "MAYBE", "page": 0})
    assert set(error.value.fields) == {"status", "page"}


def test_whole_calls_refused_and_health(rpc):
    item = {"referral_code": "X", "ip": "10.0.0.1", "user_agent": BROWSER}
    with pytest.raises(ValidationError) as too_big:
        rpc.record_clicks([item] * 1001)
    assert "clicks" in too_big.value.fields
    with pytest.raises(ValidationError):
        rpc.record_clicks({"clicks": [item]})
    with pytest.raises(NotFound):
        rpc.campaign_stats({"campaign_id": "6f9619ff-8b86-d011-b42d-00c04fc964ff",
                            "from": "2026-06-01", "to": "2026-06-02"})
    assert rpc.health() == {"service": "tracking", "status": "ok", "database": "ok"}


def test_concurrent_batches_count_every_click_once(rpc, world):
    """Batches hitting the same flooding counters and stats rows at once: none fails
    (no deadlock), and exactly ``limit`` clicks per IP, code and minute are valid."""
    campaign = world.campaign()
    codes = [world.enroll(campaign)["referral_code"] for _ in range(2)]
    at = isoformat(NOW - timedelta(minutes=1))
    batch = [{"referral_code": code, "ip": ip, "user_agent": BROWSER, "occurred_at": at}
             for code in codes for ip in ("10.0.0.1", "10.0.0.2")] * 5
    replies = [rpc.record_clicks.call_async(list(reversed(batch)) if n % 2 else batch)
               for n in range(6)]
    results = [item for reply in replies for item in reply.result()["results"]]
    assert len(results) == 6 * 20 and all("click_id" in r for r in results)
    assert sum(r["attributable"] for r in results) == 4 * 3  # 4 (code, ip) pairs, limit 3
    day = NOW.date().isoformat()
    totals = rpc.campaign_stats({"campaign_id": campaign.id, "from": day, "to": day})["totals"]
    assert (totals["clicks"], totals["valid_clicks"]) == (120, 12)
