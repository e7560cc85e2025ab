"""The use cases on in-memory fakes: who receives what (owner scoping), what one attempt
records, rotation, replays and test events."""
import json
import uuid
from datetime import timedelta

import pytest
from standardwebhooks import Webhook

from common.seedwork.errors import BusinessRuleViolation, NotFound
from services.webhooks.application import commands
from services.webhooks.application.settings import WebhooksSettings
from services.webhooks.domain.delivery import AttemptOutcome, DeliveryStatus, RetrySchedule
from services.webhooks.domain.endpoint import FailurePolicy
from tests.unit.webhooks.fakes import T0, FakeSender, world

BRAND_A, BRAND_B = str(uuid.uuid4()), str(uuid.uuid4())
PARTNER_A, PARTNER_B = str(uuid.uuid4()), str(uuid.uuid4())


def create(bus, owner_type, owner_id, *types, url="https://hooks.example.com/in"):
    return bus.handle(commands.CreateEndpoint(owner_type=owner_type, owner_id=owner_id,
                                              url=url, event_types=types))


def commission_event(brand, partner, event_type="commission.created", **extra):
    return commands.FanOut(
        event_id=str(uuid.uuid4()), event_type=event_type, occurred_at=T0,
        data={"commission_id": str(uuid.uuid4()), "brand_id": brand, "partner_id": partner},
        brand_ids=(brand,), partner_id=partner, **extra)


def deliveries_of(uow, endpoint_id):
    return uow.deliveries.of_endpoint(endpoint_id)


def test_a_brand_receives_only_its_own_events_and_what_it_subscribed_to():
    bus, uow, _, _ = world()
    a = create(bus, "brand", BRAND_A, "commission.created")["endpoint_id"]
    b = create(bus, "brand", BRAND_B, "commission.created")["endpoint_id"]
    a_other = create(bus, "brand", BRAND_A, "conversion.attributed")["endpoint_id"]
    partner = create(bus, "partner", PARTNER_A, "commission.created")["endpoint_id"]
    assert bus.handle(commission_event(BRAND_A, PARTNER_A)) == 2
    assert len(deliveries_of(uow, a)) == 1 and len(deliveries_of(uow, partner)) == 1
    assert deliveries_of(uow, b) == [] and deliveries_of(uow, a_other) == []
    [delivery] = deliveries_of(uow, a)
    body = json.loads(delivery.body)
    assert set(body) == {"type", "version", "timestamp", "event_id", "data"}
    assert (body["type"], body["version"], body["data"]["brand_id"]) == (
        "commission.created", 1, BRAND_A)


def test_the_same_event_twice_is_one_delivery_per_endpoint():
    bus, uow, _, _ = world()
    a = create(bus, "brand", BRAND_A, "commission.created")["endpoint_id"]
    event = commission_event(BRAND_A, PARTNER_A)
    bus.handle(event)
    bus.handle(event)
    assert len(deliveries_of(uow, a)) == 1


def test_an_event_nobody_subscribes_to_writes_nothing():
    bus, uow, _, _ = world()
    create(bus, "brand", BRAND_B, "commission.created")
    commits = uow.commits
    assert bus.handle(commission_event(BRAND_A, PARTNER_A,
                                       event_type="commission.approved")) == 0
    assert uow.commits == commits


def test_partner_suspended_reaches_the_brands_it_works_with_only():
    bus, uow, _, _ = world()
    a = create(bus, "brand", BRAND_A, "partner.suspended")["endpoint_id"]
    b = create(bus, "brand", BRAND_B, "partner.suspended")["endpoint_id"]
    bus.handle(commands.FanOut(
        event_id=str(uuid.uuid4()), event_type="partner.enrolled", occurred_at=T0, data={},
        brand_ids=(BRAND_A,), partner_id=PARTNER_A,
        enrollment=commands.EnrollmentRef(str(uuid.uuid4()), PARTNER_A, BRAND_A, "c")))
    bus.handle(commands.FanOut(
        event_id=str(uuid.uuid4()), event_type="partner.suspended", occurred_at=T0,
        data={"partner_id": PARTNER_A}, partner_id=PARTNER_A, brands_of_partner=PARTNER_A))
    assert len(deliveries_of(uow, a)) == 1 and deliveries_of(uow, b) == []


def paid(ids, **owners):
    return commands.FanOut(
        event_id=str(uuid.uuid4()), event_type="payout.paid", occurred_at=T0,
        data={"payout_id": "p", "amount": {"amount": "30.00", "currency": "USD"},
              "commission_ids": ids}, partner_id=PARTNER_A, commission_ids=tuple(ids),
        **owners)


def payout_data(bus, uow, event):
    """What each endpoint (brand A's, brand B's, the partner's) received of ``event``."""
    endpoints = [create(bus, "brand", BRAND_A, "payout.paid")["endpoint_id"],
                 create(bus, "brand", BRAND_B, "payout.paid")["endpoint_id"],
                 create(bus, "partner", PARTNER_A, "payout.paid")["endpoint_id"]]
    bus.handle(event)
    return [[json.loads(d.body)["data"] for d in deliveries_of(uow, endpoint)]
            for endpoint in endpoints]


def test_a_payout_reaches_each_brand_it_names_with_its_own_commissions_and_no_total():
    bus, uow, _, _ = world()
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    commits = uow.commits
    [to_a], [to_b], [to_partner] = payout_data(bus, uow, paid(
        ids, commission_brands=((ids[0], BRAND_A), (ids[1], BRAND_B))))
    assert to_a["commission_ids"] == [ids[0]] and to_a["amount"] is None
    assert to_b["commission_ids"] == [ids[1]] and to_b["amount"] is None
    assert to_partner["commission_ids"] == ids
    assert to_partner["amount"] == {"amount": "30.00", "currency": "USD"}
    assert uow.replicas.commissions == {} and uow.commits == commits + 4  # 3 creates + it


def test_a_payout_held_before_payouts_named_brands_finds_them_in_the_replica():
    """Its events carry commission ids only: the brands come from the commission replica
    written until then (a commission it does not know reaches no brand)."""
    bus, uow, _, _ = world()
    ids = [str(uuid.uuid4()), str(uuid.uuid4()), "unknown"]
    uow.replicas.commissions.update({ids[0]: BRAND_A, ids[1]: BRAND_B})
    [to_a], [to_b], [to_partner] = payout_data(bus, uow, paid(ids))
    assert to_a["commission_ids"] == [ids[0]] and to_a["amount"] is None
    assert to_b["commission_ids"] == [ids[1]] and to_b["amount"] is None
    assert to_partner["commission_ids"] == ids


def test_a_disabled_endpoint_keeps_new_events_as_skipped_deliveries():
    bus, uow, clock, _ = world()
    a = create(bus, "brand", BRAND_A, "commission.created")["endpoint_id"]
    bus.handle(commands.DisableEndpoint(endpoint_id=a))
    bus.handle(commission_event(BRAND_A, PARTNER_A))
    [skipped] = deliveries_of(uow, a)
    assert skipped.status is DeliveryStatus.SKIPPED
    with pytest.raises(BusinessRuleViolation):
        bus.handle(commands.ReplaySince(endpoint_id=a, since=T0))
    bus.handle(commands.EnableEndpoint(endpoint_id=a))
    assert bus.handle(commands.ReplaySince(endpoint_id=a, since=T0, failed_only=True)) == 1
    assert fresh(uow, skipped).status is DeliveryStatus.PENDING
    assert [m.type for m in uow.published()] == ["endpoint_disabled"]


def lease(uow, delivery, owner="runner-1"):
    uow.deliveries.items[delivery.id].lease_owner = owner  # as the driver's lease query does
    return commands.Deliver(delivery_id=delivery.id, lease_owner=owner)


def fresh(uow, delivery):
    """The fakes' rollbacks (peeks included) restore copies: read the stored one."""
    return uow.deliveries.get(delivery.id)


def test_one_attempt_is_signed_with_the_secrets_in_force_and_recorded():
    bus, uow, clock, sender = world()
    created = create(bus, "brand", BRAND_A, "commission.created")
    bus.handle(commission_event(BRAND_A, PARTNER_A))
    [delivery] = deliveries_of(uow, created["endpoint_id"])
    clock.now = __import__("datetime").datetime.now(T0.tzinfo)
    assert bus.handle(lease(uow, delivery)) == "delivered"
    [(url, headers, body)] = sender.requests
    assert url == "https://hooks.example.com/in" and headers["webhook-id"] == delivery.id
    assert headers["content-type"] == "application/json"
    assert Webhook(created["secret"]).verify(body, headers)["type"] == "commission.created"
    assert fresh(uow, delivery).status is DeliveryStatus.DELIVERED
    [attempt] = uow.deliveries.log[delivery.id]
    assert (attempt.number, attempt.outcome.status_code) == (1, 200)


def test_an_attempt_without_the_lease_or_to_a_disabled_endpoint_is_not_made():
    bus, uow, _, sender = world()
    a = create(bus, "brand", BRAND_A, "commission.created")["endpoint_id"]
    bus.handle(commission_event(BRAND_A, PARTNER_A))
    [delivery] = deliveries_of(uow, a)
    assert bus.handle(commands.Deliver(delivery_id=delivery.id, lease_owner="x")) == \
        "not_leased"
    command = lease(uow, delivery)
    bus.handle(commands.DisableEndpoint(endpoint_id=a))
    assert bus.handle(command) == "endpoint_disabled"
    delivery = fresh(uow, delivery)
    assert sender.requests == [] and delivery.lease_owner is None and delivery.pending


def test_failing_through_the_schedule_disables_the_endpoint_and_tells_the_owner():
    settings = WebhooksSettings(schedule=RetrySchedule(delays=(0, 1, 1), jitter=0),
                                failure_policy=FailurePolicy(3, timedelta(seconds=2)))
    bus, uow, clock, sender = world(settings, FakeSender(*[AttemptOutcome.TIMEOUT] * 3))
    a = create(bus, "brand", BRAND_A, "commission.created")["endpoint_id"]
    bus.handle(commission_event(BRAND_A, PARTNER_A))
    [delivery] = deliveries_of(uow, a)
    for _ in range(3):
        assert bus.handle(lease(uow, delivery)) == "timeout"
        clock.advance(seconds=1)
    delivery = fresh(uow, delivery)
    assert delivery.status is DeliveryStatus.FAILED and delivery.attempts == 3
    endpoint = uow.endpoints.get(a)
    assert not endpoint.enabled and endpoint.disabled_reason.value == "failing"
    [told] = uow.published("endpoint_disabled")
    assert told.payload["owner_id"] == BRAND_A and told.payload["reason"] == "failing"


def test_410_gone_disables_at_once():
    bus, uow, _, _ = world(sender=FakeSender(AttemptOutcome.GONE))
    a = create(bus, "brand", BRAND_A, "commission.created")["endpoint_id"]
    bus.handle(commission_event(BRAND_A, PARTNER_A))
    [delivery] = deliveries_of(uow, a)
    assert bus.handle(lease(uow, delivery)) == "gone"
    assert not uow.endpoints.get(a).enabled
    assert fresh(uow, delivery).status is DeliveryStatus.FAILED
    assert uow.published("endpoint_disabled")[0].payload["reason"] == "gone"


def test_rotation_test_events_replays_and_deletion():
    bus, uow, clock, sender = world()
    created = create(bus, "brand", BRAND_A, "commission.created")
    a = created["endpoint_id"]
    new_secret = bus.handle(commands.RotateSecret(endpoint_id=a, grace_seconds=60))
    endpoint = uow.endpoints.get(a)
    assert endpoint.secrets_in_force(T0) == [new_secret, created["secret"]]
    test_id = bus.handle(commands.SendTestEvent(endpoint_id=a))
    test = uow.deliveries.get(test_id)
    assert test.event_type == "webhook.test" and json.loads(test.body)["event_id"] == test_id
    bus.handle(lease(uow, test))
    assert fresh(uow, test).status is DeliveryStatus.DELIVERED
    assert bus.handle(commands.ReplayDelivery(delivery_id=test_id))
    assert fresh(uow, test).pending and not bus.handle(commands.ReplayDelivery(delivery_id=test_id))
    bus.handle(commands.DeleteEndpoint(endpoint_id=a))
    assert uow.endpoints.get(a) is None and deliveries_of(uow, a) == []
    with pytest.raises(NotFound):
        bus.handle(commands.SendTestEvent(endpoint_id=a))
    with pytest.raises(NotFound):
        bus.handle(commands.ReplayDelivery(delivery_id=test_id))


def test_an_owner_cannot_subscribe_a_url_the_policy_refuses():
    bus, _, _, _ = world()
    from common.seedwork.errors import ValidationError

    with pytest.raises(ValidationError) as refused:
        create(bus, "brand", BRAND_A, "commission.created", url="ftp://x.example.com/")
    assert "url" in refused.value.fields
