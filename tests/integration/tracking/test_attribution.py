"""Acceptance: last-click attribution within the window of the terms in force, once per
order, never across brands -- over RPC, with the events it publishes."""
from datetime import timedelta

import pytest
from sqlalchemy import text

from common.seedwork.errors import Forbidden, NotFound
from tests.integration.tracking.conftest import NOW
from tests.integration.tracking.helpers import click, convert, published
from tests.integration.tracking.world import terms


def test_click_then_conversion_inside_the_window_is_attributed(rpc, world, clock,
                                                               event_probe):
    probe = event_probe("tracking")
    campaign = world.campaign(first_terms=terms(window_days=30))
    enrollment = world.enroll(campaign)
    clicked = click(rpc, enrollment)
    assert clicked["attributable"] is True
    assert clicked["redirect_url"] == (
        f"https://shop.example/landing?utm=alpes&click_id={clicked['click_id']}")
    clock.advance(days=29)
    result = convert(rpc, campaign, "order-1", click_id=clicked["click_id"])
    assert (result["status"], result["reason"]) == ("ATTRIBUTED", None)
    assert (result["partner_id"], result["campaign_id"], result["terms_version"]) == (
        enrollment["partner_id"], campaign.id, 1)
    [event] = published(probe, "conversion_attributed")
    payload = event["payload"]
    assert payload["conversion_id"] == result["conversion_id"]
    assert payload["click_id"] == clicked["click_id"]
    assert payload["enrollment_id"] == enrollment["enrollment_id"]
    assert payload["order_amount"] == {"amount": "100.00", "currency": "EUR"}
    assert payload["terms"] == campaign.terms_history[0] and payload["terms_version"] == 1


def test_conversion_outside_the_window_is_unattributed_and_silent(rpc, world, clock,
                                                                 event_probe):
    probe = event_probe("tracking")
    campaign = world.campaign(first_terms=terms(window_days=7))
    clicked = click(rpc, world.enroll(campaign))
    clock.advance(days=7, seconds=1)
    result = convert(rpc, campaign, "late", click_id=clicked["click_id"])
    assert (result["status"], result["partner_id"], result["campaign_id"]) == (
        "UNATTRIBUTED", None, None)
    assert rpc.get_conversion(result["conversion_id"])["status"] == "UNATTRIBUTED"
    # no conversion event (the click's daily stats may leave meanwhile: a 2 s timer)
    assert [e for e in probe.drain(settle=0.5) if e["type"] != "stats_changed"] == []


def test_the_terms_version_in_force_when_the_order_happened_is_carried(rpc, world, clock,
                                                                       event_probe):
    probe = event_probe("tracking")
    campaign = world.campaign()
    enrollment = world.enroll(campaign)
    world.change_terms(campaign, terms(2, rate="0.15", effective_from=NOW + timedelta(days=1)))
    clicked = click(rpc, enrollment)
    clock.advance(days=2)
    before = convert(rpc, campaign, "before-v2", click_id=clicked["click_id"],
                     occurred_at=NOW + timedelta(hours=1))
    after = convert(rpc, campaign, "after-v2", click_id=clicked["click_id"])
    assert (before["terms_version"], after["terms_version"]) == (1, 2)
    events = {e["payload"]["order_id"]: e["payload"]
              for e in published(probe, "conversion_attributed", 2)}
    assert events["before-v2"]["terms"]["rate"] == "0.10"
    assert events["after-v2"]["terms"]["rate"] == "0.15"


def test_two_partners_clicks_the_last_one_wins(rpc, world, clock):
    campaign = world.campaign()
    first, second = world.enroll(campaign), world.enroll(campaign)
    visitor = "203.0.113.50"
    first_click = click(rpc, first, ip=visitor)
    clock.advance(hours=1)
    click(rpc, second, ip=visitor)
    clock.advance(hours=1)
    # the shop kept the first click id; the visitor's later click still wins
    result = convert(rpc, campaign, "o-1", click_id=first_click["click_id"],
                     customer_ip=visitor)
    assert result["partner_id"] == second["partner_id"]
    clock.advance(hours=1)
    click(rpc, first, ip=visitor)
    clock.advance(hours=1)
    assert convert(rpc, campaign, "o-2", customer_ip=visitor)["partner_id"] == \
        first["partner_id"]


def test_a_referral_code_without_a_click_attributes_to_its_partner(rpc, world):
    campaign = world.campaign()
    enrollment = world.enroll(campaign)
    result = convert(rpc, campaign, "coupon-order", referral_code=enrollment["referral_code"])
    assert (result["status"], result["partner_id"], result["click_id"]) == (
        "ATTRIBUTED", enrollment["partner_id"], None)


def test_the_same_order_twice_is_one_conversion_and_one_event(rpc, world, clock, event_probe,
                                                              db_uri):
    probe = event_probe("tracking")
    campaign = world.campaign()
    clicked = click(rpc, world.enroll(campaign))
    clock.advance(minutes=5)
    first = convert(rpc, campaign, "dup", click_id=clicked["click_id"])
    again = convert(rpc, campaign, "dup", amount="5.00", click_id=clicked["click_id"])
    assert again == first
    published(probe, "conversion_attributed")
    assert len([e for e in probe.drain(settle=0.5) if e["type"] != "stats_changed"]) == 1
    with world.database.reader() as conn:
        assert conn.execute(text("SELECT count(*) FROM conversions")).scalar() == 1


def test_unknown_or_foreign_clicks_and_codes_are_refused_and_nothing_is_stored(rpc, world):
    ours, theirs = world.campaign(), world.campaign()
    their_enrollment = world.enroll(theirs)
    their_click = click(rpc, their_enrollment)
    with pytest.raises(Forbidden) as by_click:
        convert(rpc, ours, "x-1", click_id=their_click["click_id"])
    with pytest.raises(Forbidden) as by_code:
        convert(rpc, ours, "x-1", referral_code=their_enrollment["referral_code"])
    assert "click_id" in by_click.value.fields and "referral_code" in by_code.value.fields
    with pytest.raises(NotFound) as unknown_code:
        rpc.record_click({"referral_code": "NOSUCHCODE", "ip": "10.0.0.1", "user_agent": "x"})
    assert "referral_code" in unknown_code.value.fields
    with pytest.raises(NotFound):
        convert(rpc, ours, "x-1", click_id="6f9619ff-8b86-d011-b42d-00c04fc964ff")
    assert rpc.list_conversions({"brand_id": ours.brand_id})["total"] == 0

