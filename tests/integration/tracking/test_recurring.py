"""Acceptance: recurring commissions over RPC on both databases -- a subscription's
renewals, reported with the customer and nothing else, credited to the partner who
referred the customer for the months the terms say, and published as such."""
from datetime import timedelta

from tests.integration.tracking.conftest import NOW
from tests.integration.tracking.helpers import click, convert, published
from tests.integration.tracking.world import terms


def test_renewals_earn_the_referring_partner_for_the_terms_months(rpc, world, clock,
                                                                  event_probe):
    probe = event_probe("tracking")
    campaign = world.campaign(first_terms=terms(recurring_months=2))
    enrollment = world.enroll(campaign)
    clicked = click(rpc, enrollment)
    clock.advance(minutes=5)
    first = convert(rpc, campaign, "sub-1", amount="30.00", click_id=clicked["click_id"],
                    customer_id="cus_42")
    renewals = []
    for n in (2, 3):  # a month later, then the month after the two months
        clock.advance(days=31)
        renewals.append(convert(rpc, campaign, f"sub-{n}", amount="30.00",
                                customer_id="cus_42"))
    assert (first["status"], first["attribution"]) == ("ATTRIBUTED", "click")
    assert [(r["status"], r["attribution"], r["partner_id"]) for r in renewals] == [
        ("ATTRIBUTED", "customer", enrollment["partner_id"]), ("UNATTRIBUTED", None, None)]
    assert renewals[0]["referral_code"] == enrollment["referral_code"]
    assert renewals[0]["click_id"] is None and renewals[0]["terms_version"] == 1
    # the list reads what the command answered
    listed = rpc.list_conversions({"brand_id": campaign.brand_id, "status": "ATTRIBUTED"})
    assert {c["order_id"]: c["attribution"] for c in listed["items"]} == {
        "sub-1": "click", "sub-2": "customer"}
    events = published(probe, "conversion_attributed", 2)
    assert [(e["payload"]["order_id"], e["payload"]["attribution"]) for e in events] == [
        ("sub-1", "click"), ("sub-2", "customer")]
    assert events[1]["payload"]["terms"]["recurring_months"] == 2
    # the renewal past the months published nothing
    assert [e["payload"]["order_id"] for e in probe.drain(settle=0.3)
            if e["type"] != "stats_changed"] == ["sub-1", "sub-2"]  # the stats timer's aside


def test_turning_recurring_on_covers_customers_referred_before(rpc, world, clock,
                                                               event_probe):
    probe = event_probe("tracking")
    campaign = world.campaign(first_terms=terms())
    enrollment = world.enroll(campaign)
    convert(rpc, campaign, "plan-1", customer_id="cus_7",
            referral_code=enrollment["referral_code"])
    clock.advance(days=20)
    one_off = convert(rpc, campaign, "plan-2", customer_id="cus_7")
    world.change_terms(campaign, terms(2, effective_from=NOW + timedelta(days=25),
                                       recurring_months=12))
    clock.advance(days=10)
    renewal = convert(rpc, campaign, "plan-3", customer_id="cus_7")
    assert (one_off["status"], renewal["status"], renewal["terms_version"]) == (
        "UNATTRIBUTED", "ATTRIBUTED", 2)
    events = published(probe, "conversion_attributed", 2)
    assert [e["payload"]["order_id"] for e in events] == ["plan-1", "plan-3"]

