"""Acceptance: the stats read model after a scripted day equals what the test counts
itself from its own script."""
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from tests.integration.tracking.conftest import NOW
from tests.integration.tracking.helpers import click, convert

DAY = NOW.replace(hour=0)


def test_campaign_and_partner_stats_match_a_scripted_day(rpc, world, clock):
    campaign = world.campaign()
    alice, bob, carol = (world.enroll(campaign) for _ in range(3))
    world.set_enrollment_status(carol, "SUSPENDED")

    # the script: (hour, enrollment, ip); flooding limit is 3 per IP, code and minute
    script = ([(8, alice, f"10.0.0.{n}") for n in range(10)]
              + [(9, alice, "10.9.9.9")] * 5         # 2 of these flood
              + [(10, bob, f"10.1.0.{n}") for n in range(6)]
              + [(11, carol, "10.2.0.1")] * 2)       # suspended: stored, not valid
    recorded = []
    minute_counts = Counter()
    for hour, enrollment, ip in script:
        clicked = click(rpc, enrollment, ip=ip, at=DAY + timedelta(hours=hour))
        minute_counts[(enrollment["referral_code"], ip, hour)] += 1
        recorded.append((enrollment, clicked))
        expected_valid = (enrollment is not carol
                          and minute_counts[(enrollment["referral_code"], ip, hour)] <= 3)
        assert clicked["attributable"] is expected_valid
    # yesterday's traffic must not count today
    click(rpc, bob, ip="10.5.5.5", at=DAY - timedelta(hours=1))

    clock.now = DAY + timedelta(hours=20)
    orders = [("a-1", alice, "19.99"), ("a-2", alice, "80.01"), ("b-1", bob, "50.00"),
              ("c-1", carol, "30.00")]
    results = {order_id: convert(rpc, campaign, order_id, amount,
                                 referral_code=enrollment["referral_code"])
               for order_id, enrollment, amount in orders}
    convert(rpc, campaign, "nobody", "12.00")  # unattributed: no campaign
    rpc.reverse_conversion({"brand_id": campaign.brand_id, "order_id": "a-2",
                            "amount": "0.01"})

    attributed = [(o, e, Decimal(a)) for o, e, a in orders
                  if results[o]["status"] == "ATTRIBUTED"]
    expected = {
        "clicks": len(script),
        "valid_clicks": sum(1 for e, c in recorded if c["attributable"]),
        "conversions": len(attributed),
        "rejected_conversions": sum(r["status"] == "REJECTED" for r in results.values()),
        "revenue": {"amount": str(sum(a for _, _, a in attributed) - Decimal("0.01")),
                    "currency": "EUR"},
    }
    assert expected["valid_clicks"] == 19 and expected["rejected_conversions"] == 1

    day = DAY.date().isoformat()
    stats = rpc.campaign_stats({"campaign_id": campaign.id, "from": day, "to": day})
    [today] = stats["days"]
    assert {k: today[k] for k in expected} == expected
    rate = Decimal(expected["conversions"]) / expected["valid_clicks"]
    assert today["conversion_rate"] == str(rate.quantize(Decimal("0.0001")))

    week = rpc.campaign_stats({"campaign_id": campaign.id,
                               "from": (DAY - timedelta(days=1)).date().isoformat(),
                               "to": (DAY + timedelta(days=1)).date().isoformat()})
    assert [d["clicks"] for d in week["days"]] == [1, len(script), 0]
    assert week["totals"]["clicks"] == len(script) + 1
    assert week["days"][2]["conversion_rate"] is None

    alice_stats = rpc.partner_stats({"partner_id": alice["partner_id"], "from": day,
                                     "to": day})
    [alice_campaign] = alice_stats["campaigns"]
    assert alice_campaign["totals"]["clicks"] == 15
    assert alice_campaign["totals"]["valid_clicks"] == 13
    assert alice_campaign["totals"]["revenue"] == {"amount": "99.99", "currency": "EUR"}
