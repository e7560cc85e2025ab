"""A partner's own commission, from campaigns' event to the terms its conversions carry
(the replica cache must see the change at once)."""
from datetime import timedelta

from tests.integration.tracking.conftest import NOW
from tests.integration.tracking.helpers import convert, published
from tests.integration.tracking.world import terms

OWN = {"model": "CPS", "rate": "0.25", "min": {"amount": "1.00", "currency": "EUR"},
       "max": None, "amount": None}


def test_conversions_carry_the_partner_s_figures_while_in_force(rpc, world, clock,
                                                                 event_probe):
    probe = event_probe("tracking")
    campaign = world.campaign(first_terms=terms())
    enrollment = world.enroll(campaign)
    code = {"referral_code": enrollment["referral_code"]}
    clock.advance(minutes=5)
    convert(rpc, campaign, "campaign-s", **code)  # reads (and caches) the referral target
    world.give_figures(enrollment, OWN, effective_from=NOW + timedelta(minutes=10))
    clock.advance(minutes=10)
    convert(rpc, campaign, "own", **code)
    convert(rpc, campaign, "late-report", occurred_at=NOW + timedelta(minutes=6), **code)
    world.give_figures(enrollment, None, effective_from=NOW + timedelta(minutes=20))
    clock.advance(minutes=10)
    convert(rpc, campaign, "campaign-s-again", **code)
    events = published(probe, "conversion_attributed", 4)
    paid = {e["payload"]["order_id"]: e["payload"]["terms"] for e in events}
    assert (paid["own"]["rate"], paid["own"]["min"], paid["own"]["partner_commission"]) == (
        "0.25", {"amount": "1.00", "currency": "EUR"}, True)
    for order_id in ("campaign-s", "late-report", "campaign-s-again"):
        assert paid[order_id]["rate"] == "0.10" and "partner_commission" not in paid[order_id]
    assert {t["version"] for t in paid.values()} == {1}
