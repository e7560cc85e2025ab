"""The retry schedule, a delivery's attempts, and an endpoint's run of failures."""
from datetime import timedelta

import pytest

from common.seedwork.errors import ValidationError
from services.webhooks.domain.delivery import (
    AttemptOutcome,
    Delivery,
    DeliveryStatus,
    Outcome,
    RetrySchedule,
    delivery_id,
)
from services.webhooks.domain.endpoint import (
    DisabledReason,
    Endpoint,
    EndpointDisabled,
    FailurePolicy,
    Owner,
)
from tests.unit.webhooks.fakes import T0

BRAND = "0b9f8e34-52c1-4f7a-8d0e-3a6c9d2b4e02"
FAILED = Outcome(AttemptOutcome.HTTP_ERROR, 5.0, status_code=500, error="HTTP 500")
OK = Outcome(AttemptOutcome.DELIVERED, 5.0, status_code=204)


def test_the_default_schedule_spans_about_a_day_svix_style():
    schedule = RetrySchedule()
    assert schedule.attempts == 8 and schedule.delays[0] == 0
    assert timedelta(hours=26) < schedule.total() < timedelta(hours=29)


def test_jitter_spreads_each_delay_within_its_bounds_but_never_the_immediate_one():
    schedule = RetrySchedule(delays=(0, 100), jitter=0.2)
    assert schedule.delay(0, random=lambda: 0.99) == timedelta(0)
    assert schedule.delay(1, random=lambda: 0.0) == timedelta(seconds=80)
    assert schedule.delay(1, random=lambda: 1.0) == timedelta(seconds=120)
    assert schedule.delay(2) is None
    with pytest.raises(ValueError):
        RetrySchedule(delays=())
    with pytest.raises(ValueError):
        RetrySchedule(jitter=1.5)


def delivery(schedule=RetrySchedule(delays=(0, 10, 20), jitter=0)):
    return Delivery.for_event(endpoint_id="e", event_id="ev", event_type="commission.created",
                              body="{}", occurred_at=T0, now=T0, schedule=schedule)


def test_the_same_event_for_the_same_endpoint_is_the_same_delivery():
    assert delivery_id("ev", "e") == delivery().id == delivery_id("ev", "e")
    assert delivery_id("ev", "other") != delivery().id


def test_failures_follow_the_schedule_then_fail_the_delivery():
    schedule = RetrySchedule(delays=(0, 10, 20), jitter=0)
    d = delivery(schedule)
    assert d.pending and d.next_attempt_at == T0
    first = d.record(FAILED, started_at=T0, now=T0, schedule=schedule)
    assert (first.number, d.next_attempt_at) == (1, T0 + timedelta(seconds=10))
    d.record(FAILED, started_at=T0, now=T0 + timedelta(seconds=10), schedule=schedule)
    assert d.next_attempt_at == T0 + timedelta(seconds=30)
    last = d.record(FAILED, started_at=T0, now=T0 + timedelta(seconds=30), schedule=schedule)
    assert d.status is DeliveryStatus.FAILED and d.exhausted and last.next_attempt_at is None
    assert [a.number for a in d.new_attempts] == [1, 2, 3]


def test_a_2xx_delivers_and_a_410_fails_at_once():
    d = delivery()
    d.record(OK, started_at=T0, now=T0, schedule=RetrySchedule())
    assert d.status is DeliveryStatus.DELIVERED and d.delivered_at == T0
    gone = delivery()
    gone.record(Outcome(AttemptOutcome.GONE, 1.0, status_code=410), started_at=T0, now=T0,
                schedule=RetrySchedule())
    assert gone.status is DeliveryStatus.FAILED and gone.attempts == 1


def test_a_replay_starts_a_fresh_schedule_with_the_same_webhook_id():
    schedule = RetrySchedule(delays=(0, 10), jitter=0)
    d = delivery(schedule)
    d.record(OK, started_at=T0, now=T0, schedule=schedule)
    assert d.replay(T0 + timedelta(hours=1), schedule)
    assert d.pending and d.step == 0 and d.attempts == 1 and d.id == delivery_id("ev", "e")
    assert not d.replay(T0, schedule)  # already pending
    d.record(FAILED, started_at=T0, now=T0, schedule=schedule)
    assert d.attempts == 2 and d.next_attempt_at == T0 + timedelta(seconds=10)


def test_a_skipped_delivery_waits_for_a_replay():
    d = Delivery.for_event(endpoint_id="e", event_id="ev", event_type="t", body="{}",
                           occurred_at=T0, now=T0, schedule=RetrySchedule(), skipped=True)
    assert d.status is DeliveryStatus.SKIPPED and d.next_attempt_at is None


def endpoint(owner=Owner("brand", BRAND), types=("commission.created",)):
    return Endpoint.create(owner=owner, url="https://hooks.example.com/", event_types=types,
                           description=" shop ", now=T0)


def test_a_subscription_names_known_types_its_owner_may_receive():
    created = endpoint(types=("commission.created", "conversion.attributed",
                              "commission.created"))
    assert created.event_types == ("conversion.attributed", "commission.created")
    assert created.description == "shop" and created.secret.startswith("whsec_")
    for types in ((), ("nope",)):
        with pytest.raises(ValidationError):
            endpoint(types=types)
    with pytest.raises(ValidationError):  # brands' business only
        endpoint(owner=Owner("partner", BRAND), types=("conversion.rejected",))
    with pytest.raises(ValidationError):
        Owner("admin", BRAND)


def test_rotation_keeps_the_previous_secret_for_the_grace_period_only():
    e = endpoint()
    old = e.secret
    new = e.rotate_secret(T0, timedelta(minutes=10))
    assert e.secrets_in_force(T0 + timedelta(minutes=9)) == [new, old]
    assert e.secrets_in_force(T0 + timedelta(minutes=10)) == [new]
    e.rotate_secret(T0, timedelta(0))
    assert e.secrets_in_force(T0) == [e.secret]


def test_failing_for_a_whole_schedule_disables_once_and_tells_the_owner():
    e = endpoint()
    policy = FailurePolicy(after_failures=3, after=timedelta(minutes=5))
    assert not e.failed(T0, policy)
    assert not e.failed(T0 + timedelta(minutes=1), policy)
    assert not e.failed(T0 + timedelta(minutes=2), policy)  # 3 failures but only 2 minutes
    assert e.failed(T0 + timedelta(minutes=5), policy)
    assert not e.enabled and e.disabled_reason is DisabledReason.FAILING
    [event] = e.pull_events()
    assert isinstance(event, EndpointDisabled) and event.reason == "failing"
    assert event.endpoint.consecutive_failures == 4 and event.endpoint.failing_since == T0
    assert not e.failed(T0 + timedelta(minutes=6), policy) and e.pull_events() == []
    assert e.enable(T0) and e.consecutive_failures == 0 and e.failing_since is None


def test_a_success_ends_the_run_and_a_410_disables_at_once():
    e = endpoint()
    policy = FailurePolicy(after_failures=2, after=timedelta(0))
    e.failed(T0, policy)
    e.delivered(T0)
    assert not e.failed(T0, policy) and e.enabled
    assert e.failed(T0, policy, gone=False)  # two in a row now
    other = endpoint()
    assert other.failed(T0, FailurePolicy(), gone=True)
    assert other.disabled_reason is DisabledReason.GONE


def test_manual_disable_is_told_too_and_needs_an_enable_before_tests():
    e = endpoint()
    assert e.disable(T0) and not e.disable(T0)
    assert [ev.reason for ev in e.pull_events()] == ["manual"]
    with pytest.raises(Exception) as refused:
        e.must_be_enabled()
    assert refused.value.code == "endpoint_disabled"
