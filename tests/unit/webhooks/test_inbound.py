"""What leaves the platform: every consumed event becomes exactly the fields its webhook
type documents (domain/catalogue.py, rendered into docs/webhooks.md) -- no internal
field ever slips through -- and names who owns it."""
import json
import uuid

import pytest

from common.contracts import find
from common.contracts.examples import BRAND_ID, COMMISSION_ID, PARTNER_ID, example
from common.nameko.topology import event_handlers
from common.seedwork.application.integration import receive
from services.webhooks.application import inbound
from services.webhooks.domain import catalogue
from services.webhooks.service import WebhooksService

CONSUMED = sorted(inbound.TRANSLATIONS, key=lambda contract: contract.key)


def received(contract):
    return receive({"event_id": str(uuid.uuid4()), "type": contract.name,
                    "version": contract.version, "source": contract.source,
                    "occurred_at": "2026-11-29T12:00:00Z", "payload": example(contract)},
                   contract)


def test_the_service_consumes_exactly_what_it_translates():
    declared = {(source, name) for source, name, _ in event_handlers(WebhooksService)}
    assert declared == {(c.source, c.name) for c in inbound.TRANSLATIONS}


def test_every_webhook_type_comes_from_one_consumed_event():
    sources = {c.key for c in inbound.TRANSLATIONS}
    assert {kind.source for kind in catalogue.TYPES} == sources
    assert {s for kind in catalogue.TYPES for s in kind.also_from} <= sources
    assert {kind.name for kind in catalogue.TYPES} >= {
        "partner.enrolled", "partner.suspended", "conversion.attributed",
        "conversion.rejected", "conversion.reversed", "commission.created",
        "commission.approved", "commission.declined", "commission.reversed",
        "commission.paid", "payout.paid", "payout.failed", "budget.exhausted",
        "campaign.activated", "campaign.paused", "campaign.ended", "campaign.cancelled"}


@pytest.mark.parametrize("contract", CONSUMED, ids=lambda c: c.key)
def test_exactly_the_documented_fields_as_json_with_money_as_strings(contract):
    command = inbound.fan_out(contract, received(contract))
    kind = catalogue.BY_NAME[command.event_type]
    assert kind.source == contract.key
    assert tuple(command.data) == kind.field_names
    assert json.loads(json.dumps(command.data)) == command.data  # plain JSON already
    for field in kind.fields:
        value = command.data[field.name]
        if field.kind == catalogue.MONEY:
            assert isinstance(value["amount"], str) and set(value) == {"amount", "currency"}
        if field.kind in (catalogue.TIME,):
            assert value.endswith("Z")
    assert "email" not in json.dumps(command.data) and "terms" not in command.data


@pytest.mark.parametrize("contract", CONSUMED, ids=lambda c: c.key)
def test_owners_are_named_by_the_event_or_looked_up_in_the_replicas(contract):
    command = inbound.fan_out(contract, received(contract))
    kind = catalogue.BY_NAME[command.event_type]
    if catalogue.BRAND in kind.audiences:
        assert command.brand_ids == (BRAND_ID,) or command.brands_of_partner == PARTNER_ID \
            or (BRAND_ID in dict(command.commission_brands).values())
    if catalogue.PARTNER in kind.audiences:
        assert command.partner_id == PARTNER_ID
    else:
        assert command.partner_id is None


def test_the_replica_learns_enrollments():
    enrolled = inbound.fan_out(find("campaigns", "partner_enrolled"),
                               received(find("campaigns", "partner_enrolled")))
    assert enrolled.enrollment.partner_id == PARTNER_ID
    assert enrolled.enrollment.brand_id == BRAND_ID


def test_a_link_suspended_by_the_brand_carries_its_word_to_both_sides():
    contract = find("campaigns", "enrollment_suspended")
    command = inbound.fan_out(contract, received(contract))
    assert command.event_type == "link.suspended"
    assert (command.data["reason"], command.data["campaign_name"], command.data["note"]) == (
        "brand_suspended", "Spring sale", "Coupon sites are not part of this program.")
    assert (command.brand_ids, command.partner_id) == ((BRAND_ID,), PARTNER_ID)


def test_a_payout_names_whose_commission_each_is_or_leaves_it_to_the_replica():
    contract = find("payouts", "payout_paid")
    event = received(contract)
    named = inbound.fan_out(contract, event)
    assert named.commission_brands == ((COMMISSION_ID, BRAND_ID),)
    del event.data["commission_brands"]  # a payout held before payouts named them
    unnamed = inbound.fan_out(contract, event)
    assert unnamed.commission_brands == () and unnamed.commission_ids == (COMMISSION_ID,)


def test_a_commission_created_approved_is_also_commission_approved():
    """No hold: commissions sends only commission_created (status APPROVED); brands and
    partners still get commission.approved, as its own webhook with its own id."""
    contract = find("commissions", "commission_created")
    event = received(contract)
    event.data["status"] = "PENDING"
    assert [c.event_type for c in inbound.fan_outs(contract, event)] == ["commission.created"]
    event.data["status"] = "APPROVED"
    created, approved = inbound.fan_outs(contract, event)
    assert (created.event_type, approved.event_type) == ("commission.created",
                                                         "commission.approved")
    assert created.event_id == event.event_id != approved.event_id
    assert approved.event_id == inbound.fan_outs(contract, event)[1].event_id  # the same again
    assert approved.data == created.data and approved.brand_ids == created.brand_ids
    assert approved.partner_id == created.partner_id == PARTNER_ID


def test_the_test_event_has_documented_fields_too():
    assert catalogue.TEST_TYPE.field_names == ("endpoint_id", "message")


def test_the_contracts_list_the_catalogues_types():
    from common.contracts import webhooks

    assert webhooks.EVENT_TYPES == tuple(kind.name for kind in catalogue.TYPES)
    assert webhooks.TEST_EVENT_TYPE == catalogue.TEST_EVENT
    assert webhooks.OWNER_TYPES == catalogue.OWNER_TYPES


@pytest.mark.parametrize("contract", list(inbound.TRANSLATIONS), ids=lambda c: c.key)
def test_the_events_always_received_are_those_whose_translation_feeds_a_replica(contract):
    command = inbound.fan_out(contract, received(contract))
    feeds = command.enrollment is not None
    assert feeds == (contract in inbound.FEEDS_REPLICA)
