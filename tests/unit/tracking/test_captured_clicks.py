"""Clicks the BFF already redirected (``clicks_captured``), on fakes: recorded once each
with their own ids and times, screened like any click, parked when their code is not
replicated yet and recorded when it is; a conversion waits for a click still on its way."""
from __future__ import annotations

import dataclasses
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from common.seedwork.domain.ids import time_ordered_uuid
from common.seedwork.errors import NotFound
from services.tracking.application import commands
from services.tracking.application.settings import TrackingSettings
from services.tracking.domain import reasons
from services.tracking.domain.clicks import ClickRequest
from services.tracking.domain.fraud import FraudRules
from tests.unit.tracking.builders import BRAND, NOW, campaign, minutes, target

SETTINGS = TrackingSettings(rules=FraudRules(max_clicks_per_minute=2, min_seconds_to_convert=0),
                            click_arrival_wait=timedelta(seconds=0.3))


@pytest.fixture
def settings():
    return SETTINGS


def captured(code: str, ip: str = "198.51.100.1", at=NOW, click_id: str | None = None):
    return ClickRequest(referral_code=code, ip=ip, user_agent="UA", occurred_at=at,
                        click_id=click_id or time_ordered_uuid())


def record(bus, *clicks):
    return bus.handle(commands.RecordCapturedClicks(clicks=tuple(clicks)))


def test_captured_clicks_keep_their_ids_and_times_and_are_screened(bus, uow):
    referral = uow.references.add_target(target())
    code = referral.enrollment.referral_code
    sent = [captured(code, at=NOW - minutes(1)), captured(code, at=NOW - minutes(1)),
            captured(code, at=NOW - minutes(1))]
    recorded = record(bus, *sent)
    assert [c.click_id for c in recorded] == [c.click_id for c in sent]
    assert {c.occurred_at for c in recorded} == {NOW - minutes(1)}
    assert [c.reason for c in recorded] == [None, None, reasons.CLICK_FLOODING]
    assert set(uow.clicks.clicks) == {c.click_id for c in sent}


def test_a_batch_delivered_twice_changes_nothing(bus, uow):
    code = uow.references.add_target(target()).enrollment.referral_code
    batch = [captured(code), captured(code, ip="198.51.100.2")]
    record(bus, *batch)
    counters, stats = dict(uow.clicks.counters), {k: v for k, v in uow.stats.rows.items()}
    assert record(bus, *batch) == []
    assert uow.clicks.counters == counters and dict(uow.stats.rows) == stats
    assert len(uow.clicks.clicks) == 2


def test_a_click_id_repeated_in_one_batch_is_recorded_once(bus, uow):
    code = uow.references.add_target(target()).enrollment.referral_code
    click = captured(code)
    assert len(record(bus, click, click)) == 1


def test_a_time_ahead_of_this_clock_is_taken_as_now_not_refused(bus, uow):
    code = uow.references.add_target(target()).enrollment.referral_code
    [click] = record(bus, captured(code, at=NOW + minutes(30)))
    assert click.occurred_at == NOW


def test_a_suspended_enrollment_or_paused_campaign_is_recorded_flagged(bus, uow):
    paused = uow.references.add_target(target(campaign_ref=campaign(status="PAUSED")))
    suspended = uow.references.add_target(target(enrollment_status="SUSPENDED"))
    clicks = record(bus, captured(paused.enrollment.referral_code),
                    captured(suspended.enrollment.referral_code))
    assert [c.reason for c in clicks] == [reasons.CAMPAIGN_INACTIVE,
                                          reasons.ENROLLMENT_SUSPENDED]


def test_a_code_not_replicated_yet_is_parked_then_recorded_at_its_own_time(bus, uow, clock):
    later = target()
    code = later.enrollment.referral_code
    early = captured(code, at=NOW - minutes(2))
    assert record(bus, early) == []
    assert list(uow.clicks.parked_clicks) == [early.click_id] and not uow.clicks.clicks
    assert record(bus, early) == []  # parked already: delivered again, still once
    clock.advance(minutes=1)
    uow.references.replicate_campaign(later.campaign, 1, None)
    uow.references.add_terms(later.campaign.campaign_id, later.terms.versions)
    unparked = bus.handle(commands.ReplicateEnrollment(enrollment=later.enrollment,
                                                       revision=1, campaign=None))
    assert [c.click_id for c in unparked] == [early.click_id]
    assert unparked[0].occurred_at == NOW - minutes(2) and unparked[0].reason is None
    assert not uow.clicks.parked_clicks and early.click_id in uow.clicks.clicks


def test_parked_clicks_wait_for_the_campaign_when_the_enrollment_came_first(bus, uow):
    later = target()
    early = captured(later.enrollment.referral_code)
    record(bus, early)
    assert bus.handle(commands.ReplicateEnrollment(enrollment=later.enrollment, revision=2,
                                                   campaign=None)) == []
    assert uow.clicks.parked_clicks
    unparked = bus.handle(commands.ReplicateCampaign(campaign=later.campaign, revision=1,
                                                     terms=tuple(later.terms.versions)))
    assert [c.click_id for c in unparked] == [early.click_id]


def convert(bus, click_id):
    return bus.handle(commands.RecordConversion(
        brand_id=BRAND, order_id=f"o-{uuid.uuid4().hex[:6]}", amount=Decimal("50.00"),
        currency="EUR", click_id=click_id))


def test_a_conversion_waits_for_a_click_minted_lately_still_on_its_way(bus, uow, clock):
    import eventlet

    code = uow.references.add_target(target()).enrollment.referral_code
    clock.now = NOW.__class__.now(NOW.tzinfo)
    click = captured(code, at=clock.now)
    arrival = eventlet.spawn_after(0.05, record, bus, click)
    conversion = convert(bus, click.click_id)
    arrival.wait()
    assert conversion.status == "ATTRIBUTED" and conversion.click_id == click.click_id


def test_a_lately_minted_click_that_never_arrives_is_unknown_after_the_wait(bus, clock):
    clock.now = NOW.__class__.now(NOW.tzinfo)
    started = time.monotonic()
    with pytest.raises(NotFound):
        convert(bus, time_ordered_uuid())
    assert 0.25 <= time.monotonic() - started < 2


def test_an_old_or_foreign_click_id_is_unknown_at_once(bus, clock):
    clock.now = NOW.__class__.now(NOW.tzinfo)
    started = time.monotonic()
    for click_id in (str(uuid.uuid4()),
                     time_ordered_uuid(int((clock.now - minutes(30)).timestamp() * 1e9))):
        with pytest.raises(NotFound):
            convert(bus, click_id)
    assert time.monotonic() - started < 0.2



def test_a_click_redirected_on_a_code_its_link_has_left_is_recorded_against_that_link(bus,
                                                                                     uow):
    referral = uow.references.add_target(target())
    old = referral.enrollment.referral_code
    renamed = dataclasses.replace(referral.enrollment, referral_code="bea10")
    bus.handle(commands.ReplicateEnrollment(enrollment=renamed, revision=2, campaign=None))
    assert uow.references.targets_by_code([old]) == {}  # nothing else resolves it
    late, fresh = captured(old), captured("bea10")  # a BFF that had not heard yet; one that had
    clicks = record(bus, late, fresh)
    assert [(c.click_id, c.enrollment_id) for c in clicks] == [
        (late.click_id, referral.enrollment.enrollment_id),
        (fresh.click_id, referral.enrollment.enrollment_id)]
    assert not uow.clicks.parked_clicks


def test_a_code_another_link_takes_again_is_that_link_s(bus, uow):
    first = uow.references.add_target(target())
    old = first.enrollment.referral_code
    bus.handle(commands.ReplicateEnrollment(
        enrollment=dataclasses.replace(first.enrollment, referral_code="bea10"), revision=2,
        campaign=None))
    second = uow.references.add_target(target())
    bus.handle(commands.ReplicateEnrollment(
        enrollment=dataclasses.replace(second.enrollment, referral_code=old), revision=2,
        campaign=None))
    [click] = record(bus, captured(old))
    assert click.enrollment_id == second.enrollment.enrollment_id
