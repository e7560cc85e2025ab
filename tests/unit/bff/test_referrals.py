"""Referral codes at the edge (services/bff/referrals.py) with a fake tracking: a miss is
one batched look-up, events keep entries fresh by revision, a look-up in flight never
undoes a newer event, unknown codes are remembered briefly and boundedly."""
from __future__ import annotations

import copy

import eventlet
import pytest

from common.contracts import campaigns
from common.contracts.examples import example
from common.seedwork.errors import ServiceUnavailable
from services.bff.referrals import ReferralLinks
from tests.clock import Clock

CAMPAIGN = "3c7d1e90-8b2a-4c55-b1f3-7e9a0d4c6b03"


class Tracking:
    """resolve_referral_codes over a dict of what its replica holds."""

    def __init__(self, **links):
        self.links = dict(links)  # code -> (enrollment revision, status, landing, campaign rev)
        self.calls: list[list[str]] = []
        self.before_answer = None  # something that happens while the call is in flight
        self.down = False

    def resolve(self, codes):
        self.calls.append(list(codes))
        eventlet.sleep(0.005)
        if self.down:
            raise ServiceUnavailable("tracking did not answer")
        answer = {"items": [item(code, *self.links[code]) for code in codes
                            if code in self.links]}
        if self.before_answer:
            self.before_answer()
        return answer


def item(code, revision=1, status="ACTIVE", landing="https://shop.example/a",
         campaign_revision=2, campaign_status="ACTIVE"):
    return {"referral_code": code, "enrollment_id": f"enr-{code}", "campaign_id": CAMPAIGN,
            "status": status, "revision": revision,
            "campaign": {"campaign_id": CAMPAIGN, "landing_url": landing,
                         "status": campaign_status, "revision": campaign_revision}}


def envelope(contract, **payload_changes) -> dict:
    payload = copy.deepcopy(example(contract))
    for key, value in payload_changes.items():
        if key == "campaign":
            payload["campaign"].update(value)
        else:
            payload[key] = value
    return {"event_id": "e", "type": contract.name, "version": contract.version,
            "source": contract.source, "occurred_at": "2026-12-06T10:00:00Z",
            "payload": payload}


@pytest.fixture
def clock():
    return Clock(1000.0)


def links_for(clock, **options):
    return ReferralLinks(clock=clock, **options)


def test_a_miss_asks_tracking_once_then_the_code_is_answered_from_memory(clock):
    tracking, links = Tracking(code1=(1,)), links_for(clock)
    first = links.lookup("code1", tracking.resolve)
    again = links.lookup("code1", tracking.resolve)
    assert first.landing_url == again.landing_url == "https://shop.example/a"
    assert (first.enrollment.enrollment_id, first.campaign.campaign_id) == ("enr-code1", CAMPAIGN)
    assert tracking.calls == [["code1"]]


def test_concurrent_misses_share_one_call_and_repeats_are_asked_once(clock):
    tracking = Tracking(code1=(1,), code2=(1,))
    links = links_for(clock, lookups_in_flight=1)
    pool = eventlet.GreenPool()
    found = list(pool.imap(lambda c: links.lookup(c, tracking.resolve),
                           ["code1", "code1", "code2", "code1", "nope"]))
    assert [link and link.enrollment.referral_code for link in found] == [
        "code1", "code1", "code2", "code1", None]
    assert tracking.calls == [["code1"], ["code1", "code2", "nope"]]


def test_an_unknown_code_is_answered_404_unasked_for_its_ttl_then_asked_again(clock):
    tracking, links = Tracking(), links_for(clock, unknown_ttl=5)
    assert links.lookup("nope", tracking.resolve) is None
    assert links.lookup("nope", tracking.resolve) is None
    clock.now += 6
    assert links.lookup("nope", tracking.resolve) is None
    assert tracking.calls == [["nope"], ["nope"]]


def test_a_flood_of_random_codes_stays_within_its_bounds(clock):
    tracking = Tracking()
    links = links_for(clock, max_unknown=50, lookup_batch=20, lookups_in_flight=2)
    pool = eventlet.GreenPool(500)
    assert not any(pool.imap(lambda n: links.lookup(f"random{n}", tracking.resolve),
                             range(500)))
    assert len(links._unknown) == 50 and len(links) == 0
    assert len(tracking.calls) <= 500 / 20 + 2 and max(map(len, tracking.calls)) <= 20


def test_codes_are_bounded_least_recently_used_first(clock):
    tracking = Tracking(**{f"c{n}": (1,) for n in range(4)})
    links = links_for(clock, max_codes=3)
    for code in ("c0", "c1", "c2"):
        links.lookup(code, tracking.resolve)
    links.lookup("c0", tracking.resolve)  # used again: c1 is now the oldest
    links.lookup("c3", tracking.resolve)
    assert len(links) == 3
    tracking.calls.clear()
    links.lookup("c0", tracking.resolve)
    links.lookup("c1", tracking.resolve)
    assert tracking.calls == [["c1"]]


def test_partner_enrolled_makes_a_new_link_work_without_asking(clock):
    tracking, links = Tracking(), links_for(clock)
    assert links.lookup("bea-spring", tracking.resolve) is None  # before the enrollment
    links.on_event(envelope(campaigns.PARTNER_ENROLLED))
    link = links.lookup("bea-spring", tracking.resolve)
    assert link.landing_url == example(campaigns.PARTNER_ENROLLED)["campaign"]["landing_url"]
    assert tracking.calls == [["bea-spring"]]  # only the lookup before the event


def test_events_move_entries_to_newer_revisions_only(clock):
    tracking, links = Tracking(**{"bea-spring": (1,)}), links_for(clock)
    links.lookup("bea-spring", tracking.resolve)
    links.on_event(envelope(campaigns.ENROLLMENT_SUSPENDED, status="SUSPENDED", revision=3))
    links.on_event(envelope(campaigns.ENROLLMENT_REACTIVATED, status="ACTIVE", revision=2))
    links.on_event(envelope(campaigns.CAMPAIGN_PAUSED,
                            campaign={"status": "PAUSED", "revision": 5}))
    links.on_event(envelope(campaigns.CAMPAIGN_ACTIVATED,
                            campaign={"status": "ACTIVE", "revision": 4}))
    link = links.lookup("bea-spring", tracking.resolve)
    assert (link.enrollment.status, link.enrollment.revision) == ("SUSPENDED", 3)
    assert (link.campaign.status, link.campaign.revision) == ("PAUSED", 5)
    assert tracking.calls == [["bea-spring"]]


@pytest.mark.parametrize("status", ["SUSPENDED"])
def test_a_suspended_enrollment_or_a_closed_campaign_still_redirects(clock, status):
    tracking, links = Tracking(**{"bea-spring": (1,)}), links_for(clock)
    links.on_event(envelope(campaigns.ENROLLMENT_SUSPENDED, status=status, revision=3))
    links.on_event(envelope(campaigns.CAMPAIGN_ENDED, campaign={"status": "ENDED",
                                                                "revision": 9}))
    assert links.lookup("bea-spring", tracking.resolve) is not None  # tracking flags it


def test_an_answer_older_than_an_event_heard_while_it_was_in_flight_loses(clock):
    tracking = Tracking(**{"bea-spring": (1, "ACTIVE", "https://shop.example/a", 2)})
    links = links_for(clock)
    tracking.before_answer = lambda: (
        links.on_event(envelope(campaigns.ENROLLMENT_SUSPENDED, status="SUSPENDED",
                                revision=2)),
        links.on_event(envelope(campaigns.CAMPAIGN_PAUSED,
                                campaign={"campaign_id": CAMPAIGN, "status": "PAUSED",
                                          "revision": 3})))
    link = links.lookup("bea-spring", tracking.resolve)
    assert (link.enrollment.status, link.campaign.status) == ("SUSPENDED", "PAUSED")


def test_a_newer_answer_wins_over_an_older_event(clock):
    tracking = Tracking(**{"bea-spring": (4, "ACTIVE")})
    links = links_for(clock)
    links.on_event(envelope(campaigns.ENROLLMENT_SUSPENDED, status="SUSPENDED", revision=3))
    clock.now += 1000  # stale: asked again
    link = links.lookup("bea-spring", tracking.resolve)
    assert (link.enrollment.status, link.enrollment.revision) == ("ACTIVE", 4)


def test_a_code_taught_by_an_event_during_an_unknown_answer_is_not_cached_unknown(clock):
    tracking, links = Tracking(), links_for(clock)
    tracking.before_answer = lambda: links.on_event(envelope(campaigns.PARTNER_ENROLLED))
    assert links.lookup("bea-spring", tracking.resolve) is not None
    tracking.before_answer = None
    assert links.lookup("bea-spring", tracking.resolve) is not None
    assert len(tracking.calls) == 1


def test_an_old_entry_is_asked_again_and_still_serves_when_tracking_is_down(clock):
    tracking, links = Tracking(code1=(1,)), links_for(clock, max_age=300)
    links.lookup("code1", tracking.resolve)
    clock.now += 301
    tracking.down = True
    assert links.lookup("code1", tracking.resolve).landing_url == "https://shop.example/a"
    assert tracking.calls == [["code1"], ["code1"]]


def test_a_miss_while_tracking_is_down_is_unavailable(clock):
    tracking, links = Tracking(code1=(1,)), links_for(clock)
    tracking.down = True
    with pytest.raises(ServiceUnavailable):
        links.lookup("code1", tracking.resolve)
    tracking.down = False
    assert links.lookup("code1", tracking.resolve) is not None  # nothing cached as unknown


def test_an_unreadable_event_forgets_everything(clock):
    tracking, links = Tracking(code1=(1,)), links_for(clock)
    links.lookup("code1", tracking.resolve)
    links.on_event({"type": "partner_enrolled", "source": "campaigns", "payload": {"x": 1}})
    assert len(links) == 0
    links.lookup("code1", tracking.resolve)
    assert len(tracking.calls) == 2


def test_an_event_of_another_source_is_not_taken_for_a_campaigns_one(clock):
    links = links_for(clock)
    forged = envelope(campaigns.PARTNER_ENROLLED)
    forged["source"] = "someone"
    links.on_event(forged)
    assert len(links) == 0


def test_a_link_that_takes_another_code_leaves_its_previous_one(clock):
    tracking, links = Tracking(), links_for(clock)
    links.on_event(envelope(campaigns.PARTNER_ENROLLED))  # bea-spring, revision 1
    assert links.lookup("bea-spring", tracking.resolve) is not None
    links.on_event(envelope(campaigns.ENROLLMENT_CODE_CHANGED))  # bea10, revision 5
    link = links.lookup("bea10", tracking.resolve)
    assert (link.enrollment.referral_code, link.enrollment.revision) == ("bea10", 5)
    assert tracking.calls == []  # both answered from memory
    assert links.lookup("bea-spring", tracking.resolve) is None  # asked: tracking knows it no more
    assert tracking.calls == [["bea-spring"]]


def test_a_late_event_or_answer_with_the_code_a_link_left_is_not_learnt_again(clock):
    enrollment_id = example(campaigns.ENROLLMENT_CODE_CHANGED)["enrollment_id"]
    stale = {"referral_code": "bea-spring", "enrollment_id": enrollment_id,
             "campaign_id": CAMPAIGN, "status": "ACTIVE", "revision": 4,
             "campaign": {"campaign_id": CAMPAIGN, "landing_url": "https://shop.example/a",
                          "status": "ACTIVE", "revision": 2}}
    links = links_for(clock)
    links.on_event(envelope(campaigns.PARTNER_ENROLLED))
    links.on_event(envelope(campaigns.ENROLLMENT_CODE_CHANGED))
    links.on_event(envelope(campaigns.ENROLLMENT_SUSPENDED, status="SUSPENDED", revision=3))
    assert links.lookup("bea-spring", lambda codes: {"items": [stale]}) is None
    assert links.lookup("bea10", lambda codes: {"items": []}).enrollment.status == "ACTIVE"
