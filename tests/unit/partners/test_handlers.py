from datetime import UTC, datetime

import pytest

from common.seedwork.application.bus import MessageBus
from common.seedwork.errors import BusinessRuleViolation, Conflict, NotFound
from services.partners.application import commands
from services.partners.application.handlers import HANDLERS
from tests.unit.partners.fakes import fake_uow

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


@pytest.fixture
def uow():
    return fake_uow()


@pytest.fixture
def bus(uow):
    return MessageBus(uow, HANDLERS, {"clock": lambda: NOW})


def register(bus, email="ana@example.com", **extra):
    return bus.handle(commands.RegisterPartner(
        name="Ana", email=email, type="influencer", country="ES", **extra))


def test_register_stores_the_partner_and_publishes_partner_registered(bus, uow):
    partner_id = register(bus, payout_method={"type": "paypal", "email": "ana@pay.example"})
    assert uow.partners.get(partner_id).status.value == "PENDING"
    [event] = uow.published("partner_registered")
    assert event.payload["partner_id"] == partner_id
    assert event.payload["payout_method"] == {"type": "paypal", "email": "ana@pay.example"}
    assert event.payload["registered_at"] == "2026-11-29T12:00:00Z"


def test_email_is_unique_case_insensitively(bus, uow):
    register(bus)
    with pytest.raises(Conflict) as error:
        register(bus, email="  ANA@Example.com ")
    assert "email" in error.value.fields
    assert len(uow.published("partner_registered")) == 1


def test_lifecycle_commands_publish_one_event_each(bus, uow):
    partner_id = register(bus)
    for command in (commands.VerifyPartner, commands.ActivatePartner):
        bus.handle(command(partner_id=partner_id))
    bus.handle(commands.SuspendPartner(partner_id=partner_id, reason="fraud"))
    bus.handle(commands.ReactivatePartner(partner_id=partner_id))
    bus.handle(commands.ChangePayoutMethod(
        partner_id=partner_id, payout_method={"type": "paypal", "email": "x@y.co"}))
    assert [m.type for m in uow.outbox] == [
        "partner_registered", "partner_verified", "partner_activated", "partner_suspended",
        "partner_reactivated", "partner_payout_method_changed"]
    assert [m.payload["revision"] for m in uow.outbox] == [1, 2, 3, 4, 5, 6]
    assert uow.outbox[3].payload["reason"] == "fraud"


def test_a_refused_transition_changes_nothing(bus, uow):
    partner_id = register(bus)
    with pytest.raises(BusinessRuleViolation):
        bus.handle(commands.ActivatePartner(partner_id=partner_id))
    assert uow.partners.get(partner_id).status.value == "PENDING"
    assert [m.type for m in uow.outbox] == ["partner_registered"]


def test_unknown_partner(bus):
    with pytest.raises(NotFound):
        bus.handle(commands.VerifyPartner(partner_id="6f9619ff-8b86-d011-b42d-00c04fc964ff"))
