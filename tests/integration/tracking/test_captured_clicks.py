"""Tracking's consumer of the BFF's ``clicks_captured`` on the real broker and database
(SQLite and PostgreSQL): a batch is recorded once even when delivered twice (and a click
once even when two messages carry it), the fraud rules run on arrival as with
``record_clicks``, CPC clicks are billed once, and a click on a code whose enrollment
has not reached tracking yet is parked, then recorded when it does. The answer to
``resolve_referral_codes`` is what the BFF's edge keeps."""
from __future__ import annotations

import copy
import time
import uuid
from datetime import timedelta

import pytest
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import text

from common.contracts import bff, campaigns
from common.seedwork.application.integration import IntegrationEvent
from common.seedwork.domain.clock import isoformat
from common.seedwork.domain.ids import time_ordered_uuid
from tests.integration.tracking.conftest import NOW, RULES
from tests.integration.tracking.helpers import convert
from tests.integration.tracking.world import LONG_AGO, new_id, terms
from tests.support import wait_for


@pytest.fixture
def tracking_settings():
    return {**RULES, "clicks_attributed_interval_seconds": 0.2}


def captured(code: str, ip: str = "198.51.100.1", at=NOW) -> dict:
    return {"click_id": time_ordered_uuid(), "referral_code": code, "ip": ip,
            "user_agent": "Mozilla/5.0", "occurred_at": isoformat(at)}


def hand_over(world, container, clicks: list[dict], *, message: dict | None = None) -> dict:
    """Publish as the BFF does and wait until tracking's handler has run."""
    message = message or IntegrationEvent.new(
        source=bff.SOURCE, type=bff.CLICKS_CAPTURED.name, version=1,
        payload=bff.CLICKS_CAPTURED.serialize({"clicks": clicks})).to_message()
    with entrypoint_waiter(container, "on_clicks_captured", timeout=15) as result:
        world._dispatch(bff.SOURCE, bff.CLICKS_CAPTURED.name, message)
    result.get()
    return message


def stored(world, sql: str, **params):
    with world.database.reader() as conn:
        return conn.execute(text(sql), params).all()


def clicks_of(world, code: str) -> list:
    return stored(world, "SELECT id, reason, billable FROM clicks WHERE referral_code = :code "
                  "ORDER BY id", code=code)


def test_a_batch_delivered_twice_is_recorded_once(world, container):
    enrollment = world.enroll(world.campaign())
    code = enrollment["referral_code"]
    batch = [captured(code, ip=f"198.51.100.{n}") for n in range(5)]
    message = hand_over(world, container, batch)
    hand_over(world, container, batch, message=message)  # redelivered: same event id
    again = IntegrationEvent.new(source="bff", type="clicks_captured", version=1,
                                 payload={"clicks": batch[:2]}).to_message()
    hand_over(world, container, batch[:2], message=again)  # another message, same clicks
    rows = clicks_of(world, code)
    assert sorted(r.id for r in rows) == sorted(c["click_id"] for c in batch)
    [(total,)] = stored(world, "SELECT SUM(clicks) FROM campaign_daily_stats "
                        "WHERE campaign_id = :id", id=enrollment["campaign_id"])
    assert total == 5
    [(counted,)] = stored(world, "SELECT SUM(clicks) FROM click_counters "
                          "WHERE referral_code = :code", code=code)
    assert counted == 5


def test_the_fraud_rules_run_on_arrival(world, container):
    """Flooding above 3 clicks per IP, code and minute (this module's RULES); a suspended
    enrollment's and a paused campaign's clicks are stored, not attributable."""
    campaign = world.campaign()
    enrollment = world.enroll(campaign)
    flood = [captured(enrollment["referral_code"], ip="203.0.113.50") for _ in range(5)]
    hand_over(world, container, flood)
    reasons = {r.id: r.reason for r in clicks_of(world, enrollment["referral_code"])}
    assert [reasons[c["click_id"]] for c in flood] == [  # in the order they were redirected
        None, None, None, "click_flooding", "click_flooding"]

    suspended = world.set_enrollment_status(world.enroll(campaign), "SUSPENDED")
    paused_campaign = world.campaign()
    on_paused = world.enroll(paused_campaign)
    world.campaign_event(paused_campaign, campaigns.CAMPAIGN_PAUSED, status="PAUSED")
    hand_over(world, container, [captured(suspended["referral_code"]),
                                 captured(on_paused["referral_code"])])
    assert [r.reason for r in clicks_of(world, suspended["referral_code"])] == [
        "enrollment_suspended"]
    assert [r.reason for r in clicks_of(world, on_paused["referral_code"])] == [
        "campaign_inactive"]


def test_cpc_clicks_handed_over_twice_are_billed_once(world, container, event_probe):
    probe = event_probe("tracking", "clicks_attributed")
    campaign = world.campaign(first_terms=terms(model="CPC", amount="0.50"))
    enrollment = world.enroll(campaign)
    batch = [captured(enrollment["referral_code"], ip=f"198.51.100.{n}") for n in range(3)]
    message = hand_over(world, container, batch)
    hand_over(world, container, batch, message=message)
    hand_over(world, container, batch[:1])  # the same click in another message

    def billed():
        return sum(e["payload"]["valid_clicks"] for e in probe.of_type("clicks_attributed"))

    wait_for(lambda: billed() >= 3, timeout=15, message="the CPC batch")
    time.sleep(1)  # five more runs of the batching task
    assert billed() == 3


def test_a_deep_link_s_page_is_kept_with_its_click(world, container):
    enrollment = world.enroll(world.campaign())
    code = enrollment["referral_code"]
    page = "https://shop.example.com/products/42?color=red"
    deep, plain = {**captured(code), "landing_url": page}, captured(code)
    hand_over(world, container, [deep, plain])
    kept = dict(stored(world, "SELECT id, landing_url FROM clicks WHERE referral_code = :code",
                       code=code))
    assert kept == {deep["click_id"]: page, plain["click_id"]: None}


def test_a_code_tracking_has_not_heard_of_is_parked_then_recorded(world, container, rpc):
    """A deep link's page parks with its click and is kept when it is recorded."""
    campaign = world.campaign()
    code = f"LATE{uuid.uuid4().hex[:8].upper()}"
    early = {**captured(code, at=NOW - timedelta(minutes=1)),
             "landing_url": "https://shop.example.com/late.html"}
    hand_over(world, container, [early])
    assert clicks_of(world, code) == []
    assert [r.id for r in stored(world, "SELECT id FROM parked_clicks")] == [early["click_id"]]

    enrollment = {"enrollment_id": new_id(), "campaign_id": campaign.id,
                  "brand_id": campaign.brand_id, "partner_id": new_id(),
                  "referral_code": code, "tracking_url": "http://localhost:8000/r/code",
                  "status": "ACTIVE", "enrolled_at": isoformat(LONG_AGO), "revision": 1}
    world.publish(campaigns.PARTNER_ENROLLED, {
        **enrollment, "campaign": copy.deepcopy(campaign.snapshot),
        "terms_history": copy.deepcopy(campaign.terms_history)})
    wait_for(lambda: clicks_of(world, code), message="the parked click recorded")
    [row] = clicks_of(world, code)
    assert row.id == early["click_id"] and row.reason is None
    assert stored(world, "SELECT landing_url FROM clicks WHERE id = :id",
                  id=early["click_id"]) == [("https://shop.example.com/late.html",)]
    assert stored(world, "SELECT id FROM parked_clicks") == []
    conversion = convert(rpc, campaign, "late-1", click_id=early["click_id"],
                         occurred_at=NOW + timedelta(minutes=5))
    assert conversion["status"] == "ATTRIBUTED"


def test_resolve_referral_codes_answers_the_known_ones_with_their_revisions(world, rpc):
    campaign = world.campaign(landing_url="https://shop.example/spring")
    enrollment = world.set_enrollment_status(world.enroll(campaign), "SUSPENDED")
    answer = rpc.resolve_referral_codes([enrollment["referral_code"], "NOSUCHCODE"])
    assert answer == {"items": [{
        "referral_code": enrollment["referral_code"],
        "enrollment_id": enrollment["enrollment_id"], "campaign_id": campaign.id,
        "status": "SUSPENDED", "revision": 2,
        "campaign": {"campaign_id": campaign.id, "landing_url": "https://shop.example/spring",
                     "status": "ACTIVE", "revision": 1}}]}


def test_a_link_s_new_code_resolves_and_a_click_redirected_on_its_old_one_still_counts(
        world, container, rpc):
    enrollment = world.enroll(world.campaign())
    old = enrollment["referral_code"]
    new = f"vanity-{uuid.uuid4().hex[:6]}"
    world.change_code(enrollment, new)
    answer = rpc.resolve_referral_codes([old, new])
    assert [(i["referral_code"], i["revision"]) for i in answer["items"]] == [(new, 2)]
    late = captured(old)  # a BFF instance that had not heard of the change yet
    hand_over(world, container, [late, captured(new, ip="198.51.100.2")])
    assert [r.id for r in clicks_of(world, old)] == [late["click_id"]]
    assert len(clicks_of(world, new)) == 1
    assert stored(world, "SELECT id FROM parked_clicks") == []
    assert stored(world, "SELECT enrollment_id FROM clicks WHERE id = :id",
                  id=late["click_id"]) == [(enrollment["enrollment_id"],)]
