"""The Payout saga aggregate: statuses, log, lease and retries."""
from datetime import UTC, datetime, timedelta

import pytest

from common.seedwork.domain.money import Money
from common.seedwork.errors import BusinessRuleViolation
from services.payouts.domain.payee import Payee
from services.payouts.domain.payout import Payout, PayoutStatus, Skip, why_not_start

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
LEASE = timedelta(seconds=30)
USD20 = Money.of("20.00", "USD")


def started(id="p1", cycle="2026-11"):
    return Payout.start(id=id, partner_id="ana", currency="USD", cycle=cycle,
                        min_amount=Money.of("10.00", "USD"),
                        payout_method={"type": "paypal", "email": "a@b.co"}, now=NOW)


def test_the_happy_path_logs_every_step_and_publishes_started_and_paid():
    payout = started()
    payout.held(USD20, ["c1"], [], NOW)
    payout.paid_by_psp("REF-1", NOW)
    payout.confirmed(NOW)
    assert payout.status is PayoutStatus.PAID and payout.next_step is None
    assert [(s.step, s.outcome) for s in payout.new_steps] == [
        ("start", "OK"), ("hold", "OK"), ("pay", "OK"), ("confirm", "OK")]
    assert [type(e).__name__ for e in payout.pull_events()] == ["PayoutStarted", "PayoutPaid"]


def test_a_declined_payment_is_compensated_then_failed():
    payout = started()
    payout.held(USD20, ["c1"], [], NOW)
    payout.declined_by_psp("insufficient funds", NOW)
    assert payout.next_step == "compensate"
    payout.compensated(NOW)
    assert (payout.status, payout.reason) == (PayoutStatus.FAILED, "insufficient funds")
    [*_, failed] = payout.pull_events()
    assert type(failed).__name__ == "PayoutFailed" and failed.reason == "insufficient funds"


def test_retry_restarts_a_failed_payout_and_resumes_a_failed_compensation():
    payout = started()
    payout.held(USD20, ["c1"], [], NOW)
    payout.declined_by_psp("no", NOW)
    payout.compensation_failed("commissions down", NOW)
    assert payout.status is PayoutStatus.COMPENSATION_FAILED
    assert payout.retry(NOW) and payout.status is PayoutStatus.COMPENSATING
    assert not payout.retry(NOW)  # running: nothing to do
    payout.compensated(NOW)
    assert payout.retry(NOW)
    assert (payout.status, payout.attempt, payout.amount) == (PayoutStatus.PENDING, 2, None)
    payout.nothing_to_hold(Money.of("0", "USD"), NOW)
    assert (payout.status, payout.reason) == (PayoutStatus.SKIPPED, "nothing_payable")
    with pytest.raises(BusinessRuleViolation):
        payout.retry(NOW)


def test_steps_out_of_order_are_refused():
    payout = started()
    with pytest.raises(BusinessRuleViolation):
        payout.paid_by_psp("REF", NOW)
    with pytest.raises(BusinessRuleViolation):
        payout.confirmed(NOW)


def test_one_runner_at_a_time_and_errors_wait_before_the_step_is_repeated():
    payout = started()
    assert payout.claim("a", NOW, LEASE)
    assert not payout.claim("b", NOW + timedelta(seconds=29), LEASE)
    assert payout.claim("b", NOW + timedelta(seconds=30), LEASE)  # a's lease ran out
    payout.step_error("hold", "commissions down", NOW + timedelta(minutes=1), NOW)
    assert payout.lease_owner is None
    assert not payout.claim("a", NOW + timedelta(seconds=59), LEASE)
    assert payout.claim("a", NOW + timedelta(minutes=1), LEASE)
    payout.nothing_to_hold(Money.of("5", "USD"), NOW)
    assert payout.reason == "below_threshold"
    assert not payout.claim("a", NOW + timedelta(hours=1), LEASE)  # nothing left to run


@pytest.mark.parametrize("status, method, reason", [
    ("ACTIVE", {"type": "paypal", "email": "a@b.co"}, None),
    ("SUSPENDED", {"type": "paypal", "email": "a@b.co"}, "partner_suspended"),
    ("PENDING", {"type": "paypal", "email": "a@b.co"}, "partner_not_active"),
    ("ACTIVE", None, "no_valid_payout_method"),
    ("ACTIVE", {"type": "bank_transfer", "account_holder": "Ana"}, "no_valid_payout_method"),
    ("ACTIVE", {"type": "cheque", "email": "a@b.co"}, "no_valid_payout_method"),
])
def test_who_can_be_paid(status, method, reason):
    payee = Payee(partner_id="ana", status=status, payout_method=method, revision=1,
                  updated_at=NOW)
    assert payee.why_not_payable() == reason


def test_the_replica_ignores_stale_revisions():
    payee = Payee(partner_id="ana", status="ACTIVE", payout_method=None, revision=3,
                  updated_at=NOW)
    assert not payee.follow("SUSPENDED", None, 2, NOW)
    assert payee.follow("SUSPENDED", None, 4, NOW) and payee.status == "SUSPENDED"


def failed(id="p1", cycle="2026-11"):
    payout = started(id, cycle)
    payout.held(USD20, ["c1"], [], NOW)
    payout.declined_by_psp("no", NOW)
    payout.compensated(NOW)
    return payout


def test_a_run_starts_a_payout_only_when_no_other_holds_the_partner():
    other_cycle = started("p2", cycle="2026-12")
    assert why_not_start(None, None, None) is None
    assert why_not_start(failed(), None, None) is None  # restarted
    assert why_not_start(started(), None, None) == Skip("already_in_cycle", "p1")
    assert why_not_start(None, other_cycle, None) == Skip(
        "payout_in_progress_in_another_cycle", "p2")
    assert why_not_start(failed(), other_cycle, None) == Skip(
        "payout_in_progress_in_another_cycle", "p2")
    paid = started("p3", cycle="2026-10")
    paid.held(USD20, ["c1"], [], NOW)
    paid.paid_by_psp("REF-1", NOW)
    paid.confirmed(NOW)
    assert why_not_start(None, None, paid) == Skip("paid_in_another_cycle", "p3")


def test_a_payout_does_not_go_under_way_again_while_another_one_is():
    payout, other = failed(), started("p2", cycle="2026-12")
    with pytest.raises(BusinessRuleViolation) as refused:
        payout.retry(NOW, under_way=other)
    assert "p2" in str(refused.value) and payout.status is PayoutStatus.FAILED
    assert payout.retry(NOW, under_way=None) and payout.is_under_way
