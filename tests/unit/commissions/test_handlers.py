"""Commissions use cases on in-memory fakes (repositories and the campaigns budget)."""
from datetime import timedelta

import pytest

from common.seedwork.application.bus import MessageBus
from common.seedwork.errors import BusinessRuleViolation, Forbidden, NotFound, ServiceUnavailable
from services.commissions.application import commands
from services.commissions.application.handlers import HANDLERS
from services.commissions.domain import ids
from services.commissions.domain.ledger import Bucket, PartnerLedger
from tests.unit.commissions.builders import (
    BRAND,
    CAMPAIGN,
    NOW,
    OTHER_BRAND,
    PARTNER,
    clicks,
    commission_id,
    conversion,
    cpc,
    cps,
    refund,
    usd,
)
from tests.unit.commissions.fakes import FakeBudget, fake_uow


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture
def uow():
    return fake_uow()


@pytest.fixture
def budget():
    return FakeBudget({CAMPAIGN: usd("1000.00")})


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def bus(uow, budget, clock):
    return MessageBus(uow, HANDLERS, {"budget": budget, "clock": clock})


def stored(uow, cmd):
    return uow.commissions.items[commission_id(cmd)]


def ledger(uow, partner=PARTNER, currency="USD") -> PartnerLedger:
    return uow.ledgers.items[f"{partner}:{currency}"]


def balances(uow, partner=PARTNER):
    found = ledger(uow, partner)
    return {bucket.value: found.balance(bucket) for bucket in Bucket}


def approve_all(bus, clock):
    clock.now += timedelta(seconds=1)
    return bus.handle(commands.ApproveDueCommissions())


def pay(bus, payout_id="11111111-1111-1111-1111-111111111111", partner=PARTNER):
    held = bus.handle(commands.HoldForPayout(payout_id=payout_id, partner_id=partner,
                                             currency="USD"))
    if held["status"] == "HELD":
        bus.handle(commands.ConfirmPayout(payout_id=payout_id))
    return held


# --- earning ------------------------------------------------------------------------------
def test_a_cps_conversion_earns_a_pending_commission_reserved_on_the_budget(bus, uow, budget):
    cmd = conversion("200.00")
    assert bus.handle(cmd) == commission_id(cmd)
    commission = stored(uow, cmd)
    assert (commission.status.value, commission.amount) == ("PENDING", usd("20.00"))
    assert budget.reservations == {commission.id: (CAMPAIGN, usd("20.00"))}
    [event] = uow.published("commission_created")
    assert event.payload["amount"] == {"amount": "20.00", "currency": "USD"}
    assert event.payload["hold_until"] == "2026-11-29T12:00:00Z"
    assert balances(uow)["pending"] == usd("20.00")


def test_the_same_conversion_three_times_is_one_commission_and_one_reservation(bus, uow, budget):
    cmd = conversion()
    for _ in range(3):
        bus.handle(cmd)
    assert len(uow.commissions.items) == 1 and len(budget.reservations) == 1
    assert budget.reserve_calls == 1
    assert len(uow.published("commission_created")) == 1
    assert balances(uow)["pending"] == usd("20.00")


def test_a_crash_after_the_reservation_retries_into_the_same_reservation(bus, uow, budget):
    cmd = conversion()
    add = uow.commissions.add
    uow.commissions.add = lambda c: (_ for _ in ()).throw(RuntimeError("power cut"))
    with pytest.raises(RuntimeError):
        bus.handle(cmd)
    assert uow.commissions.items == {} and len(budget.reservations) == 1
    uow.commissions.add = add
    bus.handle(cmd)  # the redelivery
    assert len(uow.commissions.items) == 1 and len(budget.reservations) == 1


def test_campaigns_down_means_retry_later_with_nothing_recorded(bus, uow, budget):
    budget.down = 1
    cmd = conversion()
    with pytest.raises(ServiceUnavailable):
        bus.handle(cmd)
    assert uow.commissions.items == {} and uow.outbox == []
    bus.handle(cmd)
    assert stored(uow, cmd).status.value == "PENDING"


def test_an_exhausted_budget_rejects_the_commission_and_nothing_is_owed(bus, uow, budget):
    budget.budgets[CAMPAIGN] = usd("15.00")
    first, second = conversion("100.00"), conversion("100.00")
    bus.handle(first)
    bus.handle(second)
    assert stored(uow, first).status.value == "PENDING"
    rejected = stored(uow, second)
    assert (rejected.status.value, rejected.reason, rejected.amount) == (
        "REJECTED", "budget_exhausted", usd("0.00"))
    [event] = uow.published("commission_rejected")
    assert event.payload["reason"] == "budget_exhausted"
    assert balances(uow)["pending"] == usd("10.00")


def test_cpc_batches_of_one_day_respect_the_daily_cap(bus, uow, budget):
    first, second, third = clicks(6), clicks(7), clicks(2)
    for cmd in (first, second, third):
        bus.handle(cmd)
    assert stored(uow, first).amount == usd("3.00")
    assert stored(uow, second).amount == usd("2.00")  # 4 of 7 clicks left under the cap
    capped = stored(uow, third)
    assert (capped.status.value, capped.reason) == ("REJECTED", "daily_click_cap_reached")
    assert budget.held_by(capped.id) == usd("0.00")  # reserved for the batch, all given back
    next_day = clicks(3, day=NOW.date() + timedelta(days=1))
    bus.handle(next_day)
    assert stored(uow, next_day).amount == usd("1.50")


def test_a_concurrent_batch_of_the_same_day_gives_back_what_it_used(bus, uow, budget):
    racing = clicks(8)

    def other_batch_commits_first():
        budget.on_reserve = None
        bus.handle(clicks(7))  # takes 7 of the 10 allowed

    budget.on_reserve = other_batch_commits_first
    bus.handle(racing)
    commission = stored(uow, racing)
    assert commission.amount == usd("1.50")  # 3 clicks left
    assert budget.held_by(commission.id) == usd("1.50")  # 4.00 reserved, 2.50 released


def test_a_conversion_under_cpc_terms_earns_nothing(bus, uow, budget):
    assert bus.handle(conversion(terms=cpc())) is None
    assert uow.commissions.items == {} and budget.reserve_calls == 0


# --- approval ---------------------------------------------------------------------------
def test_the_timer_approves_once_the_hold_is_over(bus, uow, clock):
    cmd = conversion(terms=cps(hold_days=30))
    bus.handle(cmd)
    clock.now = NOW + timedelta(days=29)
    assert bus.handle(commands.ApproveDueCommissions()) == 0
    clock.now = NOW + timedelta(days=30)
    assert bus.handle(commands.ApproveDueCommissions()) == 1
    assert stored(uow, cmd).status.value == "APPROVED"
    assert balances(uow)["approved"] == usd("20.00") and balances(uow)["pending"] == usd("0")
    assert len(uow.published("commission_approved")) == 1


def test_the_owning_brand_approves_early_and_others_are_forbidden(bus, uow):
    cmd = conversion(terms=cps(hold_days=30))
    bus.handle(cmd)
    with pytest.raises(Forbidden):
        bus.handle(commands.ApproveCommission(commission_id=commission_id(cmd),
                                              acting_brand_id=OTHER_BRAND))
    assert stored(uow, cmd).status.value == "PENDING"
    bus.handle(commands.ApproveCommission(commission_id=commission_id(cmd),
                                          acting_brand_id=BRAND))
    bus.handle(commands.ApproveCommission(commission_id=commission_id(cmd),
                                          acting_brand_id=BRAND))
    assert stored(uow, cmd).status.value == "APPROVED"
    assert len(uow.published("commission_approved")) == 1
    with pytest.raises(NotFound):
        bus.handle(commands.ApproveCommission(commission_id=ids.clawback_id("x", "y"),
                                              acting_brand_id=BRAND))


def test_declining_releases_the_reservation(bus, uow, budget):
    cmd = conversion()
    bus.handle(cmd)
    decline = commands.DeclineCommission(commission_id=commission_id(cmd),
                                         acting_brand_id=BRAND, reason="order was a test")
    bus.handle(decline)
    bus.handle(decline)
    commission = stored(uow, cmd)
    assert (commission.status.value, commission.reason) == ("DECLINED", "order was a test")
    assert budget.held_by(commission.id) == usd("0.00")
    assert balances(uow)["pending"] == usd("0.00")
    [event] = uow.published("commission_declined")
    assert event.payload["reason"] == "order was a test"


def test_a_release_campaigns_missed_is_retried_later(bus, uow, budget, clock):
    cmd = conversion()
    bus.handle(cmd)
    budget.down = 1
    bus.handle(commands.DeclineCommission(commission_id=commission_id(cmd),
                                          acting_brand_id=BRAND, reason="duplicate"))
    assert len(uow.releases.pending()) == 1 and budget.held_by(commission_id(cmd)) == usd("20")
    clock.now += timedelta(seconds=1)
    assert bus.handle(commands.SendBudgetReleases()) == 0  # backing off
    clock.now += timedelta(seconds=5)
    assert bus.handle(commands.SendBudgetReleases()) == 1
    assert uow.releases.pending() == [] and budget.held_by(commission_id(cmd)) == usd("0")


# --- refunds ----------------------------------------------------------------------------
def test_a_partial_refund_before_payout_reduces_and_releases_that_part(bus, uow, budget):
    cmd = conversion("200.00")
    bus.handle(cmd)
    bus.handle(refund(cmd, "50.00"))
    commission = stored(uow, cmd)
    assert commission.amount == usd("15.00")
    assert budget.held_by(commission.id) == usd("15.00")
    [event] = uow.published("commission_reversed")
    assert event.payload["reversed_amount"] == {"amount": "5.00", "currency": "USD"}
    assert event.payload["clawback"] is False
    assert balances(uow)["pending"] == usd("15.00")


def test_a_full_refund_after_payout_is_netted_in_the_next_payout(bus, uow, budget, clock):
    first = conversion("200.00")
    bus.handle(first)
    approve_all(bus, clock)
    pay(bus, "11111111-1111-1111-1111-111111111111")
    assert balances(uow)["paid"] == usd("20.00")
    bus.handle(refund(first, "200.00", fully=True))
    assert balances(uow)["adjustments"] == usd("-20.00")
    assert budget.held_by(commission_id(first)) == usd("20.00")  # not recovered yet
    second = conversion("300.00")
    bus.handle(second)
    approve_all(bus, clock)
    held = pay(bus, "22222222-2222-2222-2222-222222222222")
    assert held["amount"] == {"amount": "10.00", "currency": "USD"}
    assert len(held["adjustment_ids"]) == 1
    assert balances(uow) == {"pending": usd("0"), "approved": usd("0"), "in_payout": usd("0"),
                             "paid": usd("30.00"), "adjustments": usd("0")}
    # The payout recovered the clawback: the release timer gives it back to the budget.
    assert [r.amount for r in uow.releases.pending()] == [usd("20.00")]
    assert bus.handle(commands.SendBudgetReleases()) == 1
    assert budget.held_by(commission_id(first)) == usd("0.00")
    assert budget.held_by(commission_id(second)) == usd("30.00")


def test_a_clawback_released_back_by_a_failed_payout_frees_no_budget(bus, uow, budget, clock):
    first = conversion("200.00")
    bus.handle(first)
    approve_all(bus, clock)
    pay(bus)
    bus.handle(refund(first, "100.00"))
    bus.handle(conversion("300.00"))
    approve_all(bus, clock)
    payout = "22222222-2222-2222-2222-222222222222"
    bus.handle(commands.HoldForPayout(payout_id=payout, partner_id=PARTNER, currency="USD"))
    bus.handle(commands.ReleasePayout(payout_id=payout))  # the PSP declined
    assert uow.releases.pending() == []
    bus.handle(commands.HoldForPayout(payout_id=payout, partner_id=PARTNER, currency="USD"))
    confirm = commands.ConfirmPayout(payout_id=payout)
    bus.handle(confirm)
    bus.handle(confirm)  # a retried confirmation releases nothing twice
    assert [r.amount for r in uow.releases.pending()] == [usd("10.00")]
    bus.handle(commands.SendBudgetReleases())
    assert budget.held_by(commission_id(first)) == usd("10.00")


def test_a_refund_before_its_commission_is_parked_then_applied(bus, uow, budget):
    cmd = conversion("200.00")
    bus.handle(refund(cmd, "100.00"))
    assert uow.commissions.items == {} and len(uow.parked_refunds.items) == 1
    bus.handle(cmd)
    assert stored(uow, cmd).amount == usd("10.00")
    assert uow.parked_refunds.items == {}
    assert budget.held_by(commission_id(cmd)) == usd("10.00")


# --- payout saga steps ------------------------------------------------------------------
def test_hold_confirm_and_release_are_idempotent(bus, uow, clock):
    cmd = conversion()
    bus.handle(cmd)
    approve_all(bus, clock)
    hold = commands.HoldForPayout(payout_id="11111111-1111-1111-1111-111111111111",
                                  partner_id=PARTNER, currency="USD")
    first = bus.handle(hold)
    assert bus.handle(hold) == first and first["status"] == "HELD"
    assert first["commission_ids"] == [commission_id(cmd)]
    assert balances(uow)["in_payout"] == usd("20.00")
    release = commands.ReleasePayout(payout_id=hold.payout_id)
    assert bus.handle(release)["status"] == "RELEASED" == bus.handle(release)["status"]
    assert balances(uow)["approved"] == usd("20.00")
    assert bus.handle(hold)["status"] == "HELD"  # retried payout holds again
    confirm = commands.ConfirmPayout(payout_id=hold.payout_id)
    assert bus.handle(confirm)["status"] == "CONFIRMED" == bus.handle(confirm)["status"]
    with pytest.raises(BusinessRuleViolation):
        bus.handle(release)
    assert stored(uow, cmd).status.value == "PAID"
    [paid] = uow.published("commission_paid")
    assert paid.payload["payout_id"] == hold.payout_id
    assert balances(uow)["paid"] == usd("20.00") and balances(uow)["in_payout"] == usd("0")


def test_nothing_to_hold_below_the_threshold(bus, uow, clock):
    bus.handle(conversion("100.00"))
    approve_all(bus, clock)
    held = bus.handle(commands.HoldForPayout(
        payout_id="11111111-1111-1111-1111-111111111111", partner_id=PARTNER,
        currency="USD", min_amount=usd("50").amount))
    assert held["status"] == "NOTHING_TO_HOLD" and held["amount"]["amount"] == "10.00"
    assert balances(uow)["approved"] == usd("10.00")
    with pytest.raises(NotFound):
        bus.handle(commands.ConfirmPayout(payout_id=held["payout_id"]))
