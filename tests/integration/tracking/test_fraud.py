"""Acceptance: each fraud rule rejects its case with the reason (and publishes
conversion_rejected), while the partner's legitimate traffic still attributes.
Rules here: flooding above 3 clicks per IP, code and minute; too fast under 10 s."""
from datetime import timedelta

from common.contracts.campaigns import CAMPAIGN_PAUSED
from tests.integration.tracking.conftest import NOW
from tests.integration.tracking.helpers import click, convert
from tests.support import wait_for


def rejections(probe, count):
    return wait_for(lambda: len(probe.of_type("conversion_rejected")) >= count and
                    {e["payload"]["order_id"]: e["payload"]["reason"]
                     for e in probe.of_type("conversion_rejected")},
                    message=f"{count} conversion_rejected")


def test_self_referral_by_ip_or_customer_id(rpc, world, clock, event_probe):
    probe = event_probe("tracking")
    campaign = world.campaign()
    enrollment = world.enroll(campaign)
    partner_id = enrollment["partner_id"]
    world.partner(partner_id, email="ana@partner.example")
    assert rpc.record_partner_ip({"partner_id": partner_id, "ip": "198.51.100.7"}) == {
        "partner_id": partner_id, "ip": "198.51.100.7"}
    own_click = click(rpc, enrollment, ip="198.51.100.7")
    customer_click = click(rpc, enrollment, ip="203.0.113.9")
    clock.advance(minutes=5)
    by_ip = convert(rpc, campaign, "self-ip", click_id=own_click["click_id"])
    by_email = convert(rpc, campaign, "self-mail", click_id=customer_click["click_id"],
                       customer_id="ANA@partner.example")
    legit = convert(rpc, campaign, "legit", click_id=customer_click["click_id"],
                    customer_ip="203.0.113.9", customer_id="cust-77")
    assert [(r["status"], r["reason"]) for r in (by_ip, by_email)] == [
        ("REJECTED", "self_referral")] * 2
    assert by_ip["partner_id"] == partner_id  # a rejection still names who it was for
    assert legit["status"] == "ATTRIBUTED"
    assert rejections(probe, 2) == {"self-ip": "self_referral", "self-mail": "self_referral"}


def test_click_flooding_flags_later_clicks_and_rejects_their_conversions(rpc, world, clock,
                                                                         event_probe):
    probe = event_probe("tracking")
    campaign = world.campaign()
    enrollment = world.enroll(campaign)
    burst = [click(rpc, enrollment, ip="192.0.2.1", at=NOW + timedelta(seconds=s))
             for s in range(5)]
    assert [c["attributable"] for c in burst] == [True, True, True, False, False]
    next_minute = click(rpc, enrollment, ip="192.0.2.1", at=NOW + timedelta(minutes=1))
    other_ip = click(rpc, enrollment, ip="192.0.2.2", at=NOW + timedelta(seconds=30))
    assert next_minute["attributable"] and other_ip["attributable"]
    clock.advance(minutes=10)
    flooded = convert(rpc, campaign, "flood", click_id=burst[4]["click_id"])
    fine = convert(rpc, campaign, "fine", click_id=burst[0]["click_id"])
    assert (flooded["status"], flooded["reason"]) == ("REJECTED", "click_flooding")
    assert fine["status"] == "ATTRIBUTED"
    assert rejections(probe, 1) == {"flood": "click_flooding"}


def test_too_fast_conversions_are_rejected(rpc, world, clock, event_probe):
    probe = event_probe("tracking")
    campaign = world.campaign()
    enrollment = world.enroll(campaign)
    clicked = click(rpc, enrollment)
    clock.advance(seconds=9)
    hasty = convert(rpc, campaign, "hasty", click_id=clicked["click_id"])
    clock.advance(seconds=1)
    patient = convert(rpc, campaign, "patient", click_id=clicked["click_id"])
    assert (hasty["status"], hasty["reason"]) == ("REJECTED", "too_fast")
    assert patient["status"] == "ATTRIBUTED"
    assert rejections(probe, 1) == {"hasty": "too_fast"}


def test_suspended_partner_or_enrollment_and_inactive_campaign(rpc, world, clock, event_probe):
    probe = event_probe("tracking")
    campaign = world.campaign()
    honest, cheat, paused_later = (world.enroll(campaign) for _ in range(3))
    world.partner(cheat["partner_id"], status="SUSPENDED")
    world.set_enrollment_status(paused_later, "SUSPENDED")
    clicks = {name: click(rpc, enrollment) for name, enrollment in
              (("honest", honest), ("cheat", cheat), ("suspended", paused_later))}
    assert {name: c["attributable"] for name, c in clicks.items()} == {
        "honest": True, "cheat": False, "suspended": False}
    clock.advance(minutes=5)
    results = {name: convert(rpc, campaign, name, referral_code=enrollment["referral_code"])
               for name, enrollment in (("honest", honest), ("cheat", cheat),
                                        ("suspended", paused_later))}
    assert {name: (r["status"], r["reason"]) for name, r in results.items()} == {
        "honest": ("ATTRIBUTED", None), "cheat": ("REJECTED", "partner_suspended"),
        "suspended": ("REJECTED", "enrollment_suspended")}
    world.set_enrollment_status(paused_later, "ACTIVE")
    assert click(rpc, paused_later)["attributable"]
    world.campaign_event(campaign, CAMPAIGN_PAUSED, status="PAUSED")
    assert not click(rpc, honest)["attributable"]
    assert convert(rpc, campaign, "while-paused", referral_code=honest["referral_code"])[
        "reason"] == "campaign_inactive"
    assert rejections(probe, 3) == {"cheat": "partner_suspended",
                                    "suspended": "enrollment_suspended",
                                    "while-paused": "campaign_inactive"}

