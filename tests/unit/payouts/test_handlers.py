"""Payout runs and sagas on fakes: the PSP, the payouts repositories and -- through the
real commissions use cases in memory -- the commissions ledger."""
import uuid
from datetime import timedelta

import pytest

from common.seedwork.application.bus import MessageBus
from common.seedwork.errors import BusinessRuleViolation, NotFound
from services.commissions.application import commands as commission_commands
from services.payouts.application import commands
from services.payouts.application.handlers import HANDLERS
from services.payouts.application.saga import COMPENSATION_ATTEMPTS
from tests.unit.commissions.builders import BRAND, NOW, conversion, refund
from tests.unit.payouts.fakes import FakePsp, InMemoryCommissions, fake_uow

PAYPAL = {"type": "paypal", "email": "ana@example.com"}


class SimulatedCrash(BaseException):
    """The process dies (SIGKILL in production): nothing catches it."""


class World:
    def __init__(self):
        self.now = NOW
        self.commissions = InMemoryCommissions(lambda: self.now)
        self.psp = FakePsp()
        self.uow = fake_uow()
        self.crash_at: set[str] = set()
        self.bus = MessageBus(self.uow, HANDLERS, {
            "ledger": self.commissions, "psp": self.psp, "clock": lambda: self.now,
            "crash_point": self.crash_point})

    def crash_point(self, point, arguments=()):
        if point in self.crash_at:
            self.crash_at.discard(point)
            raise SimulatedCrash(point)

    def partner(self, status="ACTIVE", method=PAYPAL, revision=3):
        partner_id = str(uuid.uuid4())
        self.bus.handle(commands.FollowPartner(partner_id=partner_id, status=status,
                                               payout_method=method, revision=revision))
        return partner_id

    def earn(self, partner_id, order="200.00"):
        cmd = conversion(order, partner=partner_id)
        self.commissions.bus.handle(cmd)
        self.later(1)
        self.commissions.bus.handle(commission_commands.ApproveDueCommissions())
        return cmd

    def run(self, cycle="2026-11", min_amount="10.00"):
        return self.bus.handle(commands.RunPayouts(currency="USD", min_amount=min_amount,
                                                   cycle=cycle))

    def drive(self):
        return self.bus.handle(commands.DrivePayoutSagas(
            owner="runner", lease_seconds=30, retry_delay_seconds=5))

    def later(self, seconds):
        self.now += timedelta(seconds=seconds)

    def payout(self, payout_id):
        return self.uow.payouts.items[payout_id]

    def log(self, payout_id):
        return [(s.step, s.outcome) for s in self.uow.payouts.log[payout_id]]

    def balance(self, partner_id):
        ledger = self.commissions.uow.ledgers.items[f"{partner_id}:USD"]
        return {bucket.value: value for bucket, value in ledger.balances.items()}


@pytest.fixture
def world():
    return World()


def only_payout(result):
    [started] = result["started"]
    return started["payout_id"]


def test_a_run_pays_each_payable_partner_once(world):
    ana = world.partner()
    world.earn(ana)
    payout_id = only_payout(world.run())
    assert world.drive() == 1
    payout = world.payout(payout_id)
    assert (payout.status.value, payout.amount.format_amount()) == ("PAID", "20.00")
    assert world.log(payout_id) == [("start", "OK"), ("hold", "OK"), ("pay", "OK"),
                                    ("confirm", "OK")]
    assert list(world.psp.payments) == [payout_id]
    assert world.balance(ana)["paid"] == 20 and world.balance(ana)["approved"] == 0
    assert [m.type for m in world.uow.outbox] == ["payout_started", "payout_paid"]
    assert world.uow.outbox[1].payload["psp_reference"] == "REF-1"

    again = world.run()
    assert again["started"] == [] and world.drive() == 0
    assert len(world.psp.payments) == 1


def test_the_payouts_events_name_whose_commission_each_is(world):
    """Each held commission's brand, as commissions answered the hold: webhooks sends a
    payout to those brands with nothing of its own to look up."""
    ana = world.partner()
    world.earn(ana)
    world.earn(ana, order="100.00")
    brand_of = {c.id: c.brand_id for c in world.commissions.uow.commissions.items.values()}
    payout_id = only_payout(world.run())
    world.drive()
    assert set(world.payout(payout_id).commission_brands.items()) == set(brand_of.items())
    for message in world.uow.outbox:
        payload = message.payload
        assert [(item["commission_id"], item["brand_id"])
                for item in payload["commission_brands"]] == [
            (cid, brand_of[cid]) for cid in payload["commission_ids"]]
    assert len(brand_of) == 2 and set(brand_of.values()) == {BRAND}
    assert len(world.uow.outbox) == 2  # payout_started, payout_paid


def test_partners_that_cannot_be_paid_are_skipped_with_a_reason(world):
    suspended, no_method, unknown = world.partner("SUSPENDED"), world.partner(method=None), \
        str(uuid.uuid4())
    for partner_id in (suspended, no_method, unknown):
        world.earn(partner_id)
    world.earn(world.partner(), order="50.00")  # 5.00: below the threshold
    result = world.run()
    assert result["started"] == []
    assert {s["partner_id"]: s["reason"] for s in result["skipped"]} == {
        suspended: "partner_suspended", no_method: "no_valid_payout_method",
        unknown: "partner_unknown"}


def test_a_declined_payment_is_compensated_and_the_next_run_pays_once(world):
    ana = world.partner()
    world.earn(ana)
    world.psp.decline_next = 1
    payout_id = only_payout(world.run())
    world.drive()
    payout = world.payout(payout_id)
    assert (payout.status.value, payout.reason) == ("FAILED", "forced_failure")
    assert world.log(payout_id)[-2:] == [("pay", "FAILED"), ("compensate", "OK")]
    assert world.balance(ana)["approved"] == 20 and world.balance(ana)["in_payout"] == 0
    assert world.uow.outbox[-1].type == "payout_failed"

    rerun = world.run()  # the same cycle: the failed payout is retried
    assert only_payout(rerun) == payout_id
    world.drive()
    assert world.payout(payout_id).status.value == "PAID"
    assert world.payout(payout_id).attempt == 2
    assert len(world.psp.payments) == 1 and world.balance(ana)["paid"] == 20


def test_a_crash_between_the_psp_call_and_its_record_pays_exactly_once(world):
    ana = world.partner()
    world.earn(ana)
    payout_id = only_payout(world.run())
    world.crash_at.add("crash_after_psp_call")
    with pytest.raises(SimulatedCrash):
        world.drive()
    assert world.payout(payout_id).status.value == "HELD" and len(world.psp.payments) == 1
    assert world.drive() == 0  # the dead runner's lease still holds
    world.later(31)
    assert world.drive() == 1
    assert world.payout(payout_id).status.value == "PAID"
    assert world.psp.calls == 2 and len(world.psp.payments) == 1
    assert world.balance(ana)["paid"] == 20 and world.balance(ana)["in_payout"] == 0


def test_an_unanswered_step_is_repeated_later_never_compensated(world):
    ana = world.partner()
    world.earn(ana)
    payout_id = only_payout(world.run())
    world.psp.silent_next = 1
    world.drive()
    assert world.payout(payout_id).status.value == "HELD"
    assert world.log(payout_id)[-1] == ("pay", "ERROR")
    world.commissions.down.add("confirm")
    world.later(5)
    world.drive()
    assert world.payout(payout_id).status.value == "CONFIRMING"
    world.commissions.down.clear()
    assert world.drive() == 0  # waits for its retry time
    world.later(5)
    world.drive()
    assert world.payout(payout_id).status.value == "PAID" and len(world.psp.payments) == 1


def test_a_release_not_answered_at_first_is_asked_again_before_giving_up(world):
    """A timeout of commissions (loaded, restarting) is not an operator's job: the
    idempotent release is asked again, up to COMPENSATION_ATTEMPTS times in all."""
    ana = world.partner()
    world.earn(ana)
    payout_id = only_payout(world.run())
    world.psp.decline_next = 1
    world.commissions.unanswered["release"] = COMPENSATION_ATTEMPTS - 1
    world.drive()
    assert world.payout(payout_id).status.value == "FAILED"
    assert world.commissions.calls.count("release") == COMPENSATION_ATTEMPTS
    assert world.balance(ana)["approved"] == 20 and world.balance(ana)["in_payout"] == 0


def test_a_failed_compensation_is_visible_and_retryable(world):
    ana = world.partner()
    world.earn(ana)
    payout_id = only_payout(world.run())
    world.psp.decline_next = 1
    world.commissions.down.add("release")
    world.drive()
    assert world.payout(payout_id).status.value == "COMPENSATION_FAILED"
    assert world.commissions.calls.count("release") == COMPENSATION_ATTEMPTS
    assert world.uow.outbox[-1].type == "payout_compensation_failed"
    assert world.balance(ana)["in_payout"] == 20
    world.commissions.down.clear()
    world.bus.handle(commands.RetryPayout(payout_id=payout_id))
    world.drive()
    assert world.payout(payout_id).status.value == "FAILED"
    assert world.balance(ana)["approved"] == 20
    world.bus.handle(commands.RetryPayout(payout_id=payout_id))
    world.drive()
    assert world.payout(payout_id).status.value == "PAID"
    with pytest.raises(BusinessRuleViolation):
        world.bus.handle(commands.RetryPayout(payout_id=payout_id))
    with pytest.raises(NotFound):
        world.bus.handle(commands.RetryPayout(payout_id=str(uuid.uuid4())))


def test_a_clawback_is_netted_in_the_next_payout(world):
    ana = world.partner()
    first = world.earn(ana)
    world.run(cycle="2026-11")
    world.drive()
    world.commissions.bus.handle(refund(first, "200.00", fully=True))
    assert world.run(cycle="2026-12")["started"] == []  # owes 20.00 back: nothing payable
    world.earn(ana, order="300.00")
    payout_id = only_payout(world.run(cycle="2026-12"))
    world.drive()
    assert world.payout(payout_id).amount.format_amount() == "10.00"
    assert len(world.payout(payout_id).adjustment_ids) == 1
    assert world.balance(ana)["paid"] == 30 and world.balance(ana)["adjustments"] == 0


# --- one payout under way per partner and currency, whatever the cycle ------------------
IN_ANOTHER_CYCLE = "payout_in_progress_in_another_cycle"


def skip_of(result, partner_id):
    [skip] = [s for s in result["skipped"] if s["partner_id"] == partner_id]
    return skip


def test_runs_of_two_cycles_start_one_payout_and_say_why_the_other_skips(world):
    ana = world.partner()
    world.earn(ana)
    first = world.run(cycle="2026-11")
    second = world.run(cycle="2026-11-bis")  # before any saga held anything
    payout_id = only_payout(first)
    assert second["started"] == []
    assert second["skipped"] == [{"partner_id": ana,
                                  "payable": {"amount": "20.00", "currency": "USD"},
                                  "reason": IN_ANOTHER_CYCLE, "payout_id": payout_id}]
    world.drive()
    assert [(p.id, p.status.value) for p in world.uow.payouts.items.values()] == [
        (payout_id, "PAID")]  # every payout an answer listed as started went on
    assert list(world.psp.payments) == [payout_id] and world.balance(ana)["paid"] == 20


def test_once_the_payout_under_way_ends_another_cycle_starts_its_own(world):
    ana = world.partner()
    world.earn(ana)
    first = only_payout(world.run(cycle="2026-11"))
    world.drive()
    world.earn(ana, order="300.00")
    second = only_payout(world.run(cycle="2026-12"))
    world.drive()
    assert second != first and world.payout(second).status.value == "PAID"
    assert world.payout(second).amount.format_amount() == "30.00"


def test_a_failed_payout_is_not_retried_while_another_cycle_pays_the_partner(world):
    ana = world.partner()
    world.earn(ana)
    world.psp.decline_next = 1
    failed = only_payout(world.run(cycle="2026-11"))
    world.drive()
    assert world.payout(failed).status.value == "FAILED"
    under_way = only_payout(world.run(cycle="2026-12"))

    rerun = world.run(cycle="2026-11")
    assert rerun["started"] == []
    assert skip_of(rerun, ana) == {"partner_id": ana,
                                   "payable": {"amount": "20.00", "currency": "USD"},
                                   "reason": IN_ANOTHER_CYCLE, "payout_id": under_way}
    with pytest.raises(BusinessRuleViolation) as refused:
        world.bus.handle(commands.RetryPayout(payout_id=failed))
    assert under_way in str(refused.value)
    assert world.payout(failed).status.value == "FAILED"
    world.drive()
    assert world.payout(under_way).status.value == "PAID"
    assert list(world.psp.payments) == [under_way]


def test_a_run_of_the_same_cycle_names_the_payout_it_skips(world):
    ana = world.partner()
    world.earn(ana)
    payout_id = only_payout(world.run(cycle="2026-11"))
    again = world.run(cycle="2026-11")
    assert again["started"] == []
    assert skip_of(again, ana)["reason"] == "already_in_cycle"
    assert skip_of(again, ana)["payout_id"] == payout_id


def test_a_run_that_loses_the_race_for_the_partner_says_who_won(world):
    """Two runs look at the ledger at the same moment: the one that records its payout
    second is refused by the store, and names the winner."""
    ana = world.partner()
    world.earn(ana)
    rival = {}

    class RivalFirst:  # the other cycle's run records its payout between our look and ours
        def __init__(self, ledger):
            self.ledger = ledger

        def __getattr__(self, name):
            return getattr(self.ledger, name)

        def list_payable(self, currency, min_amount):
            payable = self.ledger.list_payable(currency, min_amount)
            if "answer" not in rival:
                rival["answer"] = None
                rival["answer"] = world.run(cycle="2026-11-rival")
            return payable

    world.bus.dependencies["ledger"] = RivalFirst(world.commissions)
    mine = world.run(cycle="2026-11")
    winner = only_payout(rival["answer"])
    assert mine["started"] == []
    assert skip_of(mine, ana)["reason"] == IN_ANOTHER_CYCLE
    assert skip_of(mine, ana)["payout_id"] == winner


def test_a_run_skips_a_partner_another_cycle_paid_after_it_looked_at_the_ledger(world):
    """The ledger said the partner was payable, but before this run reached it a payout of
    another cycle held and paid that balance: starting one now would only end SKIPPED."""
    ana = world.partner()
    world.earn(ana)
    rival = {}

    class RivalPaysMeanwhile:
        def __init__(self, ledger):
            self.ledger = ledger

        def __getattr__(self, name):
            return getattr(self.ledger, name)

        def list_payable(self, currency, min_amount):
            payable = self.ledger.list_payable(currency, min_amount)
            if "answer" not in rival:
                rival["answer"] = None
                rival["answer"] = world.run(cycle="2026-11-rival")
                world.later(1)
                world.drive()
            return payable

    world.bus.dependencies["ledger"] = RivalPaysMeanwhile(world.commissions)
    mine = world.run(cycle="2026-11")
    paid = only_payout(rival["answer"])
    assert world.payout(paid).status.value == "PAID"
    assert mine["started"] == []
    assert skip_of(mine, ana) == {"partner_id": ana,
                                  "payable": {"amount": "20.00", "currency": "USD"},
                                  "reason": "paid_in_another_cycle", "payout_id": paid}
    assert len(world.uow.payouts.items) == 1


def test_a_payout_paid_before_the_run_looked_does_not_hold_new_money_back(world):
    ana = world.partner()
    world.earn(ana)
    first = only_payout(world.run(cycle="2026-11"))
    world.drive()
    world.later(60)
    world.earn(ana, order="300.00")
    second = only_payout(world.run(cycle="2026-12"))
    world.drive()
    assert world.payout(first).status.value == world.payout(second).status.value == "PAID"
