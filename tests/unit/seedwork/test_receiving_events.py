"""``receive``: the one check every consumer's messages go through, and contract versions."""
from decimal import Decimal

import pytest
from marshmallow import fields

from common.contracts import CATALOGUE, partners, tracking
from common.contracts.base import EventContract, OlderVersion
from common.contracts.examples import example
from common.seedwork.application.integration import (
    ContractViolation,
    IntegrationEvent,
    MalformedEnvelope,
    PoisonMessage,
    UnknownEventType,
    UnknownEventVersion,
    receive,
)
from common.validation import DecimalString, TolerantSchema


def envelope(contract, **overrides):
    message = IntegrationEvent.new(source=contract.source, type=contract.name,
                                   version=contract.version, payload=example(contract))
    return {**message.to_message(), **overrides}


@pytest.mark.parametrize("contract", CATALOGUE, ids=lambda c: c.key)
def test_every_contract_example_is_read_by_its_contract(contract):
    event = receive(envelope(contract), contract)
    assert event.type == contract.name and event.version == contract.version
    assert set(event.data) <= set(contract.schema().fields)


def test_a_received_event_carries_its_envelope_and_typed_payload():
    body = envelope(tracking.CONVERSION_ATTRIBUTED, correlation_id="cid-1")
    event = receive(body, tracking.CONVERSION_ATTRIBUTED)
    assert (event.event_id, event.correlation_id, event.source) == (
        body["event_id"], "cid-1", "tracking")
    assert event.data["order_amount"]["amount"] == Decimal("200.00")


@pytest.mark.parametrize("overrides, field", [
    ({"event_id": "not-a-uuid"}, "event_id"),
    ({"event_id": 42}, "event_id"),
    ({"version": "one"}, "version"),
    ({"version": True}, "version"),
    ({"version": 0}, "version"),
    ({"occurred_at": "yesterday"}, "occurred_at"),
    ({"payload": ["a", "list"]}, "payload"),
    ({"type": ""}, "type"),
    ({"correlation_id": {"a": 1}}, "correlation_id"),
])
def test_a_malformed_envelope_names_the_bad_field(overrides, field):
    with pytest.raises(MalformedEnvelope) as refused:
        receive(envelope(partners.PARTNER_ACTIVATED, **overrides), partners.PARTNER_ACTIVATED)
    assert field in refused.value.fields
    assert refused.value.reason == "malformed_envelope"


def test_missing_envelope_fields_and_non_objects_are_malformed():
    body = envelope(partners.PARTNER_ACTIVATED)
    del body["occurred_at"], body["payload"]
    with pytest.raises(MalformedEnvelope) as refused:
        receive(body, partners.PARTNER_ACTIVATED)
    assert set(refused.value.fields) == {"occurred_at", "payload"}
    with pytest.raises(MalformedEnvelope):
        receive([1, 2], partners.PARTNER_ACTIVATED)


def test_another_type_or_source_is_not_this_consumers_event():
    contract = partners.PARTNER_ACTIVATED
    with pytest.raises(UnknownEventType):
        receive(envelope(contract, type="partner_deleted"), contract)
    with pytest.raises(UnknownEventType):
        receive(envelope(contract, source="tracking"), contract)
    assert receive(envelope(contract, source=None), contract).source == "partners"


def test_a_version_the_contract_does_not_list_is_refused():
    contract = tracking.CONVERSION_ATTRIBUTED
    with pytest.raises(UnknownEventVersion) as refused:
        receive(envelope(contract, version=99), contract)
    assert refused.value.reason == "unknown_version"
    assert refused.value.fields == {"version": ["Understood: 1."]}


def test_a_payload_breaking_its_contract_is_a_contract_violation():
    contract = tracking.CONVERSION_ATTRIBUTED
    payload = {**example(contract), "order_amount": {"amount": "ten", "currency": "USD"}}
    with pytest.raises(ContractViolation) as refused:
        receive(envelope(contract, payload=payload), contract)
    assert "order_amount" in refused.value.fields
    assert isinstance(refused.value, PoisonMessage)


# versions: a v2 contract that still reads v1, upgraded explicitly ------------------------
class PriceV1(TolerantSchema):
    sku = fields.String(required=True)
    price = DecimalString(required=True)           # v1: a bare amount, always EUR


class PriceV2(TolerantSchema):
    sku = fields.String(required=True)
    price = fields.Dict(required=True)             # v2: {"amount", "currency"}


def _v1_to_v2(data):
    return {"sku": data["sku"], "price": {"amount": str(data["price"]), "currency": "EUR"}}


PRICE_CHANGED = EventContract("shop", "price_changed", 2, PriceV2, "test",
                              older=(OlderVersion(1, PriceV1, _v1_to_v2),))


def _price_envelope(version, payload):
    return IntegrationEvent.new(source="shop", type="price_changed", version=version,
                                payload=payload).to_message()


def test_a_consumer_reads_older_versions_upgraded_to_the_current_shape():
    assert PRICE_CHANGED.versions == (1, 2)
    old = receive(_price_envelope(1, {"sku": "A", "price": "9.90"}), PRICE_CHANGED)
    new = receive(_price_envelope(2, {"sku": "A", "price": {"amount": "9.90",
                                                              "currency": "EUR"}}),
                  PRICE_CHANGED)
    assert old.data == new.data and old.version == 1


def test_an_older_payload_is_checked_against_its_own_schema():
    with pytest.raises(ContractViolation):
        receive(_price_envelope(1, {"sku": "A", "price": {"amount": "9.90"}}), PRICE_CHANGED)


def test_a_consumer_may_narrow_the_versions_it_understands():
    with pytest.raises(UnknownEventVersion):
        receive(_price_envelope(1, {"sku": "A", "price": "1"}), PRICE_CHANGED, versions=(2,))
    with pytest.raises(UnknownEventVersion):
        receive(_price_envelope(3, {"sku": "A", "price": {}}), PRICE_CHANGED)
