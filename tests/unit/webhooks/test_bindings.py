"""Which event types reach webhooks: the queues of types nobody subscribes to stay
unbound; an endpoint's types are bound before the commit that creates (or changes) it;
the timer binds every subscribed type again."""
import pytest

from common.contracts import commissions, tracking
from common.nameko.topology import bound_on_demand, event_handlers
from services.webhooks.application import commands, inbound
from services.webhooks.domain import catalogue
from services.webhooks.infrastructure.bindings import QueueBindings
from services.webhooks.service import WebhooksService
from tests.unit.webhooks.fakes import world
from tests.unit.webhooks.test_handlers import BRAND_A, create


# --- the use cases ---------------------------------------------------------------------------
def test_creating_an_endpoint_binds_its_types():
    bus, _uow, _clock, _sender = world()
    create(bus, "brand", BRAND_A, "conversion.attributed", "commission.approved")
    assert bus.dependencies["bindings"].bound == ["commission.approved",
                                                  "conversion.attributed"]


def test_an_endpoint_whose_types_cannot_be_bound_is_not_created():
    bus, uow, _clock, _sender = world()
    bus.dependencies["bindings"].fail = True
    with pytest.raises(ConnectionError):
        create(bus, "brand", BRAND_A, "conversion.attributed")
    assert uow.endpoints.items == {}  # it would get no event: refused, nothing kept


def test_changing_an_endpoints_types_binds_the_new_ones():
    bus, _uow, _clock, _sender = world()
    endpoint_id = create(bus, "brand", BRAND_A, "conversion.attributed")["endpoint_id"]
    bus.handle(commands.UpdateEndpoint(endpoint_id=endpoint_id,
                                       event_types=("payout.paid",)))
    assert bus.dependencies["bindings"].bound == ["conversion.attributed", "payout.paid"]


def test_the_timer_binds_every_subscribed_type_again():
    bus, _uow, _clock, _sender = world()
    create(bus, "brand", BRAND_A, "conversion.attributed")
    create(bus, "brand", BRAND_A, "payout.paid", "conversion.attributed")
    assert bus.handle(commands.BindSubscribedTypes()) == ["conversion.attributed",
                                                           "payout.paid"]


# --- the service's handlers and the adapter --------------------------------------------------
def test_only_the_events_feeding_a_replica_are_always_received():
    always = {f"{source}.{event_type}" for source, event_type, _ in
              set(event_handlers(WebhooksService)) - set(bound_on_demand(WebhooksService))}
    assert always == {contract.key for contract in inbound.FEEDS_REPLICA}
    assert tracking.CONVERSION_ATTRIBUTED not in inbound.FEEDS_REPLICA
    assert commissions.COMMISSION_APPROVED not in inbound.FEEDS_REPLICA
    assert commissions.COMMISSION_CREATED not in inbound.FEEDS_REPLICA  # payouts name brands


def test_the_adapter_binds_each_types_handler_queues_once_unless_asked_again():
    calls = []
    bindings = QueueBindings.of({}, WebhooksService)
    bindings._bind = lambda config, **queue: calls.append(queue)
    assert bindings.ensure(["conversion.attributed", "unknown.type"]) == [
        "conversion.attributed"]
    assert calls == [{"source": "tracking", "event_type": "conversion_attributed",
                      "service": "webhooks", "method": "on_conversion_attributed"}]
    assert bindings.ensure(["conversion.attributed"]) == []
    assert bindings.ensure(["conversion.attributed"], again=True) == [
        "conversion.attributed"]
    assert len(calls) == 2


def test_commission_approved_binds_the_created_queue_too():
    """A commission created APPROVED (no hold) becomes commission.approved from its
    commission_created: an endpoint of commission.approved only must receive that."""
    calls = []
    bindings = QueueBindings.of({}, WebhooksService)
    bindings._bind = lambda config, **queue: calls.append(queue["event_type"])
    assert bindings.ensure(["commission.approved"]) == ["commission.approved"]
    assert sorted(calls) == ["commission_approved", "commission_created"]
    assert bindings.ensure(["commission.created"]) == []  # its queue is bound already
    assert len(calls) == 2


def test_every_type_bound_on_demand_is_a_catalogue_type():
    bindings = QueueBindings.of({}, WebhooksService)
    gated = {f"{s}.{e}" for s, e, _ in bound_on_demand(WebhooksService)}
    assert {kind.source for kind in catalogue.TYPES if kind.name in bindings.handlers} == gated
