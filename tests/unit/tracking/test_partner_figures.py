"""A partner's own commission, as its brand set it: conversions that happen while it is
in force carry its figures in their terms, the others the campaign's."""
from datetime import timedelta
from decimal import Decimal

import pytest

from common.contracts import campaigns as contracts
from common.contracts.examples import EXAMPLES
from common.seedwork.application.integration import ReceivedEvent
from services.tracking.application import commands, inbound
from services.tracking.application.settings import TrackingSettings
from services.tracking.domain.terms import PartnerFigures
from tests.unit.tracking.builders import BRAND, NOW, target, terms

OWN = {"model": "CPS", "rate": "0.2", "min": None,
       "max": {"amount": "5.00", "currency": "EUR"}, "amount": None}


@pytest.fixture
def settings():
    return TrackingSettings()


@pytest.fixture
def referral(uow):
    return uow.references.add_target(target())


def give(bus, referral, revision, at, figures):
    bus.handle(commands.ReplicatePartnerFigures(
        enrollment=referral.enrollment,
        change=PartnerFigures(revision=revision, effective_from=at, figures=figures)))


def convert(bus, referral, order_id, at, clock):
    clock.now = at
    bus.handle(commands.RecordConversion(
        brand_id=BRAND, order_id=order_id, amount=Decimal("80.00"), currency="EUR",
        referral_code=referral.enrollment.referral_code, occurred_at=at))


def terms_of(uow):
    return {e.payload["order_id"]: e.payload["terms"]
            for e in uow.published("conversion_attributed")}


def test_what_happens_while_the_partner_s_figures_are_in_force_pays_them(bus, uow, referral,
                                                                       clock):
    give(bus, referral, 2, NOW + timedelta(hours=1), OWN)
    give(bus, referral, 2, NOW + timedelta(hours=1), OWN)  # redelivered: kept once
    give(bus, referral, 3, NOW + timedelta(hours=3), None)  # the campaign's again
    convert(bus, referral, "before", NOW + timedelta(minutes=30), clock)
    convert(bus, referral, "while", NOW + timedelta(hours=2), clock)
    convert(bus, referral, "after", NOW + timedelta(hours=4), clock)
    paid = terms_of(uow)
    assert (paid["while"]["rate"], paid["while"]["max"], paid["while"]["partner_commission"]) == (
        "0.2", {"amount": "5.00", "currency": "EUR"}, True)
    for order_id in ("before", "after"):
        assert (paid[order_id]["rate"], paid[order_id]["max"]) == ("0.10", None)
        assert "partner_commission" not in paid[order_id]
    assert paid["while"]["version"] == paid["before"]["version"] == 1  # the campaign's version
    assert len(uow.references.figures[referral.enrollment.enrollment_id]) == 2


def test_figures_written_for_another_model_leave_the_campaign_s(bus, uow, clock):
    cpa = uow.references.add_target(target(history=[terms(model="CPA")]))
    give(bus, cpa, 2, NOW, OWN)  # written while the campaign paid CPS
    convert(bus, cpa, "cpa", NOW + timedelta(hours=1), clock)
    paid = terms_of(uow)["cpa"]
    assert (paid["amount"], paid["rate"]) == ({"amount": "0.50", "currency": "EUR"}, None)
    assert "partner_commission" not in paid


def test_the_event_becomes_the_partner_s_figures_in_their_wire_form():
    payload = contracts.ENROLLMENT_COMMISSION_CHANGED.parse(
        EXAMPLES["campaigns.enrollment_commission_changed"])
    event = ReceivedEvent(event_id="e-1", type="enrollment_commission_changed", version=1,
                          source="campaigns", occurred_at="2026-11-20T09:00:00Z", data=payload)
    command = inbound.partner_figures(event)
    assert command.change.revision == payload["revision"] == 4
    assert command.change.figures == {"model": "CPS", "rate": "0.15", "min": None,
                                      "max": {"amount": "50.00", "currency": "USD"},
                                      "amount": None}
    assert command.change.effective_from == payload["effective_from"]
    assert command.enrollment.enrollment_id == payload["enrollment_id"]
