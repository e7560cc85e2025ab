"""Acceptance: refunds are full or partial, idempotent per refund id, never more than
the order (ValidationError naming amount, nothing changed), each published once."""
import pytest

from common.seedwork.errors import NotFound, ValidationError
from tests.integration.tracking.helpers import click, convert
from tests.support import wait_for


def test_partial_and_full_refunds_are_idempotent_and_bounded(rpc, world, clock, event_probe):
    probe = event_probe("tracking", "conversion_reversed")
    campaign = world.campaign()
    enrollment = world.enroll(campaign)
    convert(rpc, campaign, "o-1", amount="100.00", referral_code=enrollment["referral_code"])
    order = {"brand_id": campaign.brand_id, "order_id": "o-1"}
    with pytest.raises(NotFound) as unknown:
        rpc.reverse_conversion({**order, "order_id": "nope"})
    assert "order_id" in unknown.value.fields

    with pytest.raises(ValidationError) as too_much:
        rpc.reverse_conversion({**order, "amount": "100.01"})
    assert "amount" in too_much.value.fields

    partial = rpc.reverse_conversion({**order, "refund_id": "rf-1", "amount": "40"})
    assert partial["reversed"] == {"amount": "40.00", "currency": "EUR"}
    assert rpc.reverse_conversion({**order, "refund_id": "rf-1", "amount": "40"}) == partial

    with pytest.raises(ValidationError) as beyond_rest:
        rpc.reverse_conversion({**order, "refund_id": "rf-2", "amount": "60.01"})
    assert "amount" in beyond_rest.value.fields

    clock.advance(days=1)
    full = rpc.reverse_conversion(order)  # no amount: the rest; refund id "full"
    assert (full["reversed"]["amount"], full["fully_reversed"]) == ("100.00", True)
    assert [r["refund_id"] for r in full["refunds"]] == ["rf-1", "full"]
    assert rpc.reverse_conversion(order) == full  # retried: nothing new

    events = wait_for(lambda: len(probe.drain()) >= 2 and probe.messages,
                      message="two conversion_reversed")
    payloads = [e["payload"] for e in events]
    assert [(p["refund_id"], p["reversed_amount"]["amount"], p["total_reversed"]["amount"],
             p["fully_reversed"]) for p in payloads] == [
        ("rf-1", "40.00", "40.00", False), ("full", "60.00", "100.00", True)]
    assert len(probe.drain(settle=0.5)) == 2



def test_record_conversion_answers_what_get_conversion_reads(rpc, world, clock):
    """The answer is built from the recorded aggregate, not read back: it must be what
    the read side returns, for a new order, a rejected one and a repeated, refunded one."""
    campaign = world.campaign()
    enrollment = world.enroll(campaign)
    code = enrollment["referral_code"]
    attributed = convert(rpc, campaign, "o-1", amount="100.00", referral_code=code)
    assert attributed == rpc.get_conversion(attributed["conversion_id"])
    clock.advance(days=1)
    order = {"brand_id": campaign.brand_id, "order_id": "o-1"}
    rpc.reverse_conversion({**order, "refund_id": "rf-1", "amount": "40"})
    again = convert(rpc, campaign, "o-1", amount="100.00", referral_code=code)
    assert again == rpc.get_conversion(attributed["conversion_id"])
    assert [r["refund_id"] for r in again["refunds"]] == ["rf-1"]
    own_click = click(rpc, enrollment, ip="198.51.100.7")
    rpc.record_partner_ip({"partner_id": enrollment["partner_id"], "ip": "198.51.100.7"})
    clock.advance(minutes=5)
    rejected = convert(rpc, campaign, "o-2", click_id=own_click["click_id"])
    assert rejected["reason"] == "self_referral"
    assert rejected == rpc.get_conversion(rejected["conversion_id"])
