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
        name="Ana", email=email, type="influencer", country="ES", **extra)).id


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


def test_registering_under_a_chosen_id_again_is_a_replay(bus, uow):
    chosen = "6f1c2a54-0d7e-4a8e-9a57-2c1f1b0e7a01"
    assert register(bus, partner_id=chosen) == chosen
    bus.handle(commands.VerifyPartner(partner_id=chosen))
    again = bus.handle(commands.RegisterPartner(
        name="Ana (again)", email=" ANA@example.com", type="media", country="FR",
        partner_id=chosen))
    assert (again.id, again.name, again.kyc_status.value) == (chosen, "Ana", "VERIFIED")
    assert [m.type for m in uow.outbox] == ["partner_registered", "partner_verified"]


def test_a_chosen_id_with_another_email_or_a_taken_email_is_a_conflict(bus, uow):
    chosen = "6f1c2a54-0d7e-4a8e-9a57-2c1f1b0e7a01"
    register(bus, partner_id=chosen)
    with pytest.raises(Conflict) as other_email:
        register(bus, email="bo@example.com", partner_id=chosen)
    assert other_email.value.fields == {"partner_id": ["Already registered."]}
    with pytest.raises(Conflict) as taken:
        register(bus, partner_id="7a2d3b65-1e8f-4b9f-8b68-3d2a2c1f8b02")
    assert "email" in taken.value.fields
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
