"""Commissions use cases on in-memory fakes: earning within the campaign's budget,
approvals, declines, refunds and clawbacks, the payout saga steps."""
import dataclasses
from datetime import timedelta

import pytest

from common.seedwork.application.bus import MessageBus
from common.seedwork.domain.money import Money
from common.seedwork.errors import (
    BusinessRuleViolation,
    Conflict,
    Forbidden,
    NotFound,
    ValidationError,
)
from services.commissions.application import commands
from services.commissions.application.handlers import HANDLERS, CampaignNotYetKnown
from services.commissions.domain import ids
from services.commissions.domain.ledger import Bucket, PartnerLedger
from tests.clock import Clock
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
from tests.unit.commissions.fakes import fake_uow


@pytest.fixture
def uow():
    return fake_uow()


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def bus(uow, clock):
    bus = MessageBus(uow, HANDLERS, {"clock": clock})
    bus.handle(campaign_budget("1000.00"))
    return bus


def campaign_budget(total: str, revision: int = 1, smallest: str = "0.01"):
    """What a campaign event tells commissions: the budget and the smallest commission."""
    return commands.FollowCampaignBudget(campaign_id=CAMPAIGN, brand_id=BRAND,
                                         total=usd(total), smallest=usd(smallest),
                                         revision=revision)


def reserved(uow):
    return uow.budgets.items[CAMPAIGN].reserved


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
def held(order: str = "200.00"):
    """A conversion of a program that holds commissions 30 days: PENDING until then (one
    without a hold is approved at once)."""
    return conversion(order, terms=cps(hold_days=30))


def test_a_cps_conversion_earns_a_pending_commission_reserved_on_the_budget(bus, uow):
    cmd = held("200.00")
    assert bus.handle(cmd) == commission_id(cmd)
    commission = stored(uow, cmd)
    assert (commission.status.value, commission.amount) == ("PENDING", usd("20.00"))
    assert reserved(uow) == usd("20.00")
    [event] = uow.published("commission_created")
    assert event.payload["amount"] == {"amount": "20.00", "currency": "USD"}
    assert event.payload["hold_until"] == "2026-12-29T12:00:00Z"
    assert balances(uow)["pending"] == usd("20.00")


def test_the_same_conversion_three_times_is_one_commission_and_one_reservation(bus, uow):
    cmd = held()
    for _ in range(3):
        bus.handle(cmd)
    assert len(uow.commissions.items) == 1 and reserved(uow) == usd("20.00")
    assert len(uow.published("commission_created")) == 1
    assert balances(uow)["pending"] == usd("20.00")


def test_a_crash_while_recording_reserves_nothing_and_the_redelivery_reserves_once(bus, uow):
    cmd = conversion()
    add = uow.commissions.add
    uow.commissions.add = lambda c: (_ for _ in ()).throw(RuntimeError("power cut"))
    with pytest.raises(RuntimeError):
        bus.handle(cmd)
    assert uow.commissions.items == {} and reserved(uow) == usd("0.00")
    uow.commissions.add = add
    bus.handle(cmd)  # the redelivery
    assert len(uow.commissions.items) == 1 and reserved(uow) == usd("20.00")


def test_a_conversion_of_a_campaign_not_known_yet_is_retried_with_nothing_recorded(clock):
    uow = fake_uow()
    bus = MessageBus(uow, HANDLERS, {"clock": clock})
    cmd = held()
    with pytest.raises(CampaignNotYetKnown):  # a transient error: the event is retried
        bus.handle(cmd)
    assert uow.commissions.items == {} and uow.outbox == []
    bus.handle(campaign_budget("1000.00"))
    bus.handle(cmd)
    assert stored(uow, cmd).status.value == "PENDING"


def test_an_exhausted_budget_rejects_the_commission_and_nothing_is_owed(bus, uow):
    bus.handle(campaign_budget("15.00", revision=2, smallest="10.00"))
    first, second = held("100.00"), held("100.00")
    bus.handle(first)
    bus.handle(second)
    assert stored(uow, first).status.value == "PENDING"
    rejected = stored(uow, second)
    assert (rejected.status.value, rejected.reason, rejected.amount) == (
        "REJECTED", "budget_exhausted", usd("0.00"))
    [event] = uow.published("commission_rejected")
    assert event.payload["reason"] == "budget_exhausted"
    assert balances(uow)["pending"] == usd("10.00") and reserved(uow) == usd("10.00")
    [exhausted] = uow.published("campaign_budget_exhausted")  # 5.00 left < 10.00, said once
    assert exhausted.payload["remaining"] == {"amount": "5.00", "currency": "USD"}


def test_an_older_campaign_snapshot_changes_nothing_and_a_bigger_budget_makes_room(bus, uow):
    bus.handle(campaign_budget("15.00", revision=3, smallest="10.00"))
    bus.handle(conversion("100.00"))                                    # 10.00 owed, 5 left
    bus.handle(campaign_budget("5000.00", revision=2, smallest="10.00"))  # older: ignored
    assert uow.budgets.items[CAMPAIGN].total == usd("15.00")
    assert len(uow.published("campaign_budget_exhausted")) == 1
    bus.handle(campaign_budget("100.00", revision=4, smallest="10.00"))
    [available] = uow.published("campaign_budget_available")
    assert available.payload["remaining"] == {"amount": "90.00", "currency": "USD"}


def test_a_campaign_met_late_starts_from_what_its_commissions_owe(clock):
    uow = fake_uow()
    bus = MessageBus(uow, HANDLERS, {"clock": clock})
    bus.handle(campaign_budget("1000.00"))
    bus.handle(conversion("200.00"))
    del uow.budgets.items[CAMPAIGN]  # as after the upgrade that moved budgets here
    bus.handle(campaign_budget("1000.00", revision=2))
    assert reserved(uow) == usd("20.00")


def test_cpc_batches_of_one_day_respect_the_daily_cap(bus, uow):
    first, second, third = clicks(6), clicks(7), clicks(2)
    for cmd in (first, second, third):
        bus.handle(cmd)
    assert stored(uow, first).amount == usd("3.00")
    assert stored(uow, second).amount == usd("2.00")  # 4 of 7 clicks left under the cap
    capped = stored(uow, third)
    assert (capped.status.value, capped.reason) == ("REJECTED", "daily_click_cap_reached")
    assert reserved(uow) == usd("5.00")  # the capped batch reserved nothing
    next_day = clicks(3, day=NOW.date() + timedelta(days=1))
    bus.handle(next_day)
    assert stored(uow, next_day).amount == usd("1.50")


def test_a_batch_the_budget_cannot_pay_uses_none_of_the_days_cap(bus, uow):
    bus.handle(campaign_budget("2.00", revision=2, smallest="0.50"))
    refused, later = clicks(6), clicks(4)  # 3.00 > 2.00 left; then 2.00 fits
    bus.handle(refused)
    assert (stored(uow, refused).status.value, stored(uow, refused).reason) == (
        "REJECTED", "budget_exhausted")
    bus.handle(later)
    assert stored(uow, later).amount == usd("2.00")  # 4 clicks: the cap had all 10 left
    assert reserved(uow) == usd("2.00")


def test_a_conversion_under_cpc_terms_earns_nothing(bus, uow):
    assert bus.handle(conversion(terms=cpc())) is None
    assert uow.commissions.items == {} and reserved(uow) == usd("0.00")


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


def test_a_brand_approves_several_at_once_each_on_its_own(bus, uow):
    held = [conversion(terms=cps(hold_days=30)) for _ in range(3)]
    for cmd in held:
        bus.handle(cmd)
    first, second, declined = (commission_id(cmd) for cmd in held)
    bus.handle(commands.DeclineCommission(commission_id=declined, acting_brand_id=BRAND,
                                          reason="test order"))
    unknown = ids.clawback_id("x", "y")
    answer = bus.handle(commands.ApproveCommissions(
        commission_ids=(first, second, first, declined, unknown), acting_brand_id=BRAND))
    assert answer["approved"] == [first, second]  # the repeat once
    assert [(r["commission_id"], r["error"]["code"]) for r in answer["refused"]] == [
        (declined, "business_rule_violation"), (unknown, "not_found")]
    assert [stored(uow, cmd).status.value for cmd in held] == [
        "APPROVED", "APPROVED", "DECLINED"]
    assert len(uow.published("commission_approved")) == 2
    again = bus.handle(commands.ApproveCommissions(commission_ids=(first,),
                                                   acting_brand_id=OTHER_BRAND))
    assert (again["approved"], again["refused"][0]["error"]["code"]) == ([], "forbidden")
    assert len(uow.published("commission_approved")) == 2


def test_declining_releases_the_reservation(bus, uow):
    cmd = conversion()
    bus.handle(cmd)
    decline = commands.DeclineCommission(commission_id=commission_id(cmd),
                                         acting_brand_id=BRAND, reason="order was a test")
    bus.handle(decline)
    bus.handle(decline)
    commission = stored(uow, cmd)
    assert (commission.status.value, commission.reason) == ("DECLINED", "order was a test")
    assert reserved(uow) == usd("0.00")
    assert balances(uow)["pending"] == usd("0.00")
    [event] = uow.published("commission_declined")
    assert event.payload["reason"] == "order was a test"
    assert (event.payload["amount"], event.payload["declined_amount"]) == (
        {"amount": "0.00", "currency": "USD"}, {"amount": "20.00", "currency": "USD"})


def test_a_decline_that_makes_room_makes_the_budget_available_again(bus, uow):
    bus.handle(campaign_budget("25.00", revision=2, smallest="20.00"))
    cmd = conversion("200.00")
    bus.handle(cmd)                                                   # 5.00 left < 20.00
    assert len(uow.published("campaign_budget_exhausted")) == 1
    bus.handle(commands.DeclineCommission(commission_id=commission_id(cmd),
                                          acting_brand_id=BRAND, reason="duplicate"))
    assert reserved(uow) == usd("0.00")
    assert len(uow.published("campaign_budget_available")) == 1


# --- refunds ----------------------------------------------------------------------------
def test_a_partial_refund_before_payout_reduces_and_releases_that_part(bus, uow):
    cmd = held("200.00")
    bus.handle(cmd)
    bus.handle(refund(cmd, "50.00"))
    commission = stored(uow, cmd)
    assert commission.amount == usd("15.00")
    assert reserved(uow) == usd("15.00")
    [event] = uow.published("commission_reversed")
    assert event.payload["reversed_amount"] == {"amount": "5.00", "currency": "USD"}
    assert event.payload["clawback"] is False
    assert balances(uow)["pending"] == usd("15.00")


def test_a_full_refund_after_payout_is_netted_in_the_next_payout(bus, uow, clock):
    first = conversion("200.00")
    bus.handle(first)
    approve_all(bus, clock)
    pay(bus, "11111111-1111-1111-1111-111111111111")
    assert balances(uow)["paid"] == usd("20.00")
    bus.handle(refund(first, "200.00", fully=True))
    assert balances(uow)["adjustments"] == usd("-20.00")
    assert reserved(uow) == usd("20.00")  # not recovered yet
    second = conversion("300.00")
    bus.handle(second)
    approve_all(bus, clock)
    held = pay(bus, "22222222-2222-2222-2222-222222222222")
    assert held["amount"] == {"amount": "10.00", "currency": "USD"}
    assert len(held["adjustment_ids"]) == 1
    assert balances(uow) == {"pending": usd("0"), "approved": usd("0"), "in_payout": usd("0"),
                             "paid": usd("30.00"), "adjustments": usd("0")}
    # The payout recovered the clawback: it went back to the budget when it was confirmed.
    assert reserved(uow) == usd("30.00")


def test_a_clawback_released_back_by_a_failed_payout_frees_no_budget(bus, uow, clock):
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
    assert reserved(uow) == usd("50.00")  # 20.00 paid + 30.00: the clawback not recovered
    bus.handle(commands.HoldForPayout(payout_id=payout, partner_id=PARTNER, currency="USD"))
    confirm = commands.ConfirmPayout(payout_id=payout)
    bus.handle(confirm)
    bus.handle(confirm)  # a retried confirmation releases nothing twice
    assert reserved(uow) == usd("40.00")  # the 10.00 clawback recovered, once


def test_a_refund_before_its_commission_is_parked_then_applied(bus, uow):
    cmd = conversion("200.00")
    bus.handle(refund(cmd, "100.00"))
    assert uow.commissions.items == {} and len(uow.parked_refunds.items) == 1
    bus.handle(cmd)
    assert stored(uow, cmd).amount == usd("10.00")
    assert uow.parked_refunds.items == {}
    assert reserved(uow) == usd("10.00")


def test_a_parked_refund_is_applied_exactly_once(bus, uow):
    """Parked, applied by the conversion; then the refund again, the timer, the
    conversion again (a new event): nothing is taken twice."""
    cmd = conversion("200.00")
    first = refund(cmd, "100.00", refund_id="rf-1")
    bus.handle(first)
    bus.handle(cmd)
    bus.handle(first)
    assert bus.handle(commands.ApplyParkedRefunds()) == 0
    bus.handle(dataclasses.replace(cmd, source=dataclasses.replace(
        cmd.source, source_event_id="redelivered")))
    assert stored(uow, cmd).amount == usd("10.00")
    assert len(uow.published("commission_reversed")) == 1
    assert uow.parked_refunds.items == {} and reserved(uow) == usd("10.00")


def test_a_refund_parked_elsewhere_is_found_by_the_conversion(bus, uow):
    """Parked by another instance: this process handled no refund, the store has one."""
    cmd = conversion("200.00")
    parked = refund(cmd, "50.00")
    uow.parked_refunds.items[(cmd.source.conversion_id, parked.refund.refund_id)] = parked.refund
    bus.handle(cmd)
    assert stored(uow, cmd).amount == usd("15.00")
    assert uow.parked_refunds.items == {} and reserved(uow) == usd("15.00")


def test_nothing_parked_reads_no_parked_refund(bus, uow, monkeypatch):
    """The usual case: the commission is recorded without reading the parked refunds."""
    def unexpected(conversion_id):
        raise AssertionError("parked refunds read although none is parked")

    monkeypatch.setattr(uow.parked_refunds, "for_conversion", unexpected)
    cmd = conversion("200.00")
    bus.handle(cmd)
    assert stored(uow, cmd).amount == usd("20.00")


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
    assert first["commission_brands"] == {commission_id(cmd): BRAND}  # for payout events
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


def test_a_conversion_without_a_hold_is_approved_in_the_transaction_that_earns_it(bus, uow):
    cmd = conversion("200.00")  # hold_days 0: nothing for the approval timer to do
    bus.handle(cmd)
    assert stored(uow, cmd).status.value == "APPROVED"
    [created] = [e for e in uow.outbox if e.type.startswith("commission_")]
    assert (created.type, created.payload["status"]) == ("commission_created", "APPROVED")
    assert balances(uow)["approved"] == usd("20.00") and balances(uow)["pending"] == usd("0")


# --- bonuses --------------------------------------------------------------------------------
def bonus(reference="q4-top-seller", amount="50.00", brand=BRAND, partner=PARTNER,
          note="Best month of the quarter"):
    return commands.AwardBonus(reference=reference, acting_brand_id=brand, campaign_id=CAMPAIGN,
                               partner_id=partner, amount=usd(amount), note=note,
                               campaign_name="Winter sale")


def test_a_brand_s_bonus_is_approved_at_once_out_of_the_campaign_s_budget(bus, uow):
    commission_id = bus.handle(bonus())
    assert bus.handle(bonus()) == commission_id  # a retry: the same bonus, paid once
    awarded = uow.commissions.items[commission_id]
    assert (awarded.status.value, awarded.amount, awarded.source.kind) == (
        "APPROVED", usd("50.00"), "bonus")
    assert reserved(uow) == usd("50.00")
    assert balances(uow)["approved"] == usd("50.00")
    [event] = uow.published("commission_created")
    assert (event.payload["kind"], event.payload["note"], event.payload["terms_version"],
            event.payload["conversion_id"], event.payload["status"]) == (
        "bonus", "Best month of the quarter", 0, None, "APPROVED")
    assert uow.published("commission_approved") == []  # approved from the start
    [news] = uow.published("bonus_awarded")  # once, for the partner's email
    assert (news.payload["note"], news.payload["amount"]) == (
        "Best month of the quarter", {"amount": "50.00", "currency": "USD"})


def test_a_bonus_never_takes_the_budget_past_what_is_left(bus, uow):
    bus.handle(bonus("first", "990.00"))
    with pytest.raises(BusinessRuleViolation) as refused:
        bus.handle(bonus("second", "10.01"))
    assert (refused.value.code, list(refused.value.fields)) == ("budget_exhausted", ["amount"])
    assert "10.00 USD" in refused.value.fields["amount"][0]
    assert reserved(uow) == usd("990.00") and len(uow.commissions.items) == 1


def test_only_the_campaign_s_brand_awards_a_bonus_in_its_currency_under_one_reference(bus, uow):
    with pytest.raises(Forbidden):
        bus.handle(bonus(brand=OTHER_BRAND))
    with pytest.raises(ValidationError) as currency:
        bus.handle(dataclasses.replace(bonus(), amount=Money("5.00", "EUR")))
    assert list(currency.value.fields) == ["amount"]
    with pytest.raises(NotFound):
        bus.handle(dataclasses.replace(bonus(), campaign_id=OTHER_BRAND))
    bus.handle(bonus())
    with pytest.raises(Conflict) as reused:
        bus.handle(bonus(amount="60.00"))
    assert list(reused.value.fields) == ["reference"]
    assert reserved(uow) == usd("50.00")
