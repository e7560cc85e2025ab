"""The Commission aggregate, clawbacks and payout holds, without any infrastructure."""
import uuid
from datetime import timedelta

import pytest

from common.seedwork.errors import BusinessRuleViolation, Conflict, Forbidden
from services.commissions.domain.adjustment import Adjustment
from services.commissions.domain.commission import Commission, Refund, Status
from services.commissions.domain.ledger import Bucket
from services.commissions.domain.payout_hold import HoldStatus, PayoutHold
from tests.unit.commissions.builders import NOW, OTHER_BRAND, PARTNER, conversion, usd


def earned(amount="20.00", hold=timedelta(days=30)):
    source = conversion().source
    return Commission.earn(id=str(uuid.uuid4()), source=source, amount=usd(amount),
                           hold_until=NOW + hold, now=NOW)


@pytest.mark.parametrize("hold", [timedelta(0), -timedelta(days=1)])
def test_a_commission_whose_hold_is_over_when_earned_is_approved_at_once(hold):
    commission = earned(hold=hold)  # no hold, or a conversion reported after its hold
    assert commission.status is Status.APPROVED
    assert commission.position().bucket is Bucket.APPROVED
    [created] = commission.pull_events()  # approved from the start: no approval event
    assert type(created).__name__ == "CommissionCreated"
    assert created.commission.status is Status.APPROVED
    assert earned(hold=timedelta(seconds=1)).status is Status.PENDING


def a_refund(total, order="200.00", fully=False):
    return Refund(refund_id=str(uuid.uuid4()), order_amount=usd(order),
                  total_reversed=usd(total), fully_reversed=fully)


def test_lifecycle_and_ledger_positions():
    commission = earned()
    assert commission.position().bucket is Bucket.PENDING
    assert commission.approve(NOW) and not commission.approve(NOW)  # idempotent
    assert commission.position().bucket is Bucket.APPROVED
    commission.hold("payout-1", NOW)
    assert commission.position().bucket is Bucket.IN_PAYOUT
    commission.settle("payout-1", NOW)
    commission.settle("payout-1", NOW)  # idempotent
    assert (commission.status, commission.position().amount) == (Status.PAID, usd("20.00"))
    assert [type(e).__name__ for e in commission.pull_events()] == [
        "CommissionCreated", "CommissionApproved", "CommissionPaid"]


def test_only_the_owning_brand_decides_and_only_before_payment():
    commission = earned()
    with pytest.raises(Forbidden):
        commission.check_owner(OTHER_BRAND)
    assert commission.decline("fraudulent order", NOW) == usd("20.00")
    assert commission.decline("again", NOW) is None
    assert commission.position().bucket is None and commission.amount == usd("0.00")
    with pytest.raises(BusinessRuleViolation):
        commission.approve(NOW)
    paid = earned()
    paid.approve(NOW)
    paid.hold("p", NOW)
    with pytest.raises(BusinessRuleViolation):
        paid.decline("too late", NOW)
    with pytest.raises(BusinessRuleViolation):
        earned().decline("  ", NOW)


def test_a_partial_refund_before_payment_reduces_proportionally():
    commission = earned()
    reduction = commission.refund(a_refund("50.00"), NOW)
    assert (reduction.amount, reduction.clawback) == (usd("5.00"), False)
    assert commission.amount == usd("15.00") and commission.status is Status.PENDING
    full = commission.refund(a_refund("200.00", fully=True), NOW)
    assert full.amount == usd("15.00") and commission.status is Status.REVERSED


def test_refunds_are_idempotent_and_order_independent():
    commission = earned("33.33")
    first, second = a_refund("100.00"), a_refund("150.00")
    commission.refund(second, NOW)
    assert commission.refund(second, NOW) is None         # same refund twice
    assert commission.refund(first, NOW) is None          # older, smaller total: nothing more
    assert commission.amount == usd("8.33")               # 33.33 x 50/200 = 8.3325


def test_a_refund_after_payment_is_a_clawback():
    commission = earned()
    commission.approve(NOW)
    commission.hold("p", NOW)
    commission.settle("p", NOW)
    reduction = commission.refund(a_refund("200.00", fully=True), NOW)
    assert (reduction.amount, reduction.clawback) == (usd("20.00"), True)
    assert commission.status is Status.PAID and commission.amount == usd("20.00")
    assert commission.reversed == usd("20.00")


def test_nothing_owed_means_nothing_to_refund():
    rejected = Commission.reject(id="c", source=conversion().source, currency="USD",
                                 reason="budget_exhausted", now=NOW)
    assert rejected.refund(a_refund("10.00"), NOW) is None
    assert rejected.position().bucket is None


def clawback(amount):
    return Adjustment.clawback(id=str(uuid.uuid4()), partner_id=PARTNER, commission_id="c",
                               refund_id="r", reduction=usd(amount), now=NOW)


def approved(amount):
    commission = earned(amount)
    commission.approve(NOW)
    return commission


def test_a_hold_nets_clawbacks_and_respects_the_threshold():
    hold = PayoutHold.new(payout_id="p1", partner_id=PARTNER, currency="USD", now=NOW)
    commissions, adjustments = [approved("30.00")], [clawback("20.00")]
    assert not hold.take(commissions, adjustments, usd("10.01"), NOW)
    assert commissions[0].status is Status.APPROVED
    assert hold.take(commissions, adjustments, usd("10.00"), NOW)
    assert hold.amount == usd("10.00") and hold.status is HoldStatus.HELD
    assert adjustments[0].position().bucket is Bucket.IN_PAYOUT
    assert not hold.take(commissions, adjustments, usd("0"), NOW)  # holding already
    assert hold.confirm(commissions, adjustments, NOW)
    assert not hold.confirm(commissions, adjustments, NOW)
    assert adjustments[0].position().bucket is Bucket.PAID
    with pytest.raises(BusinessRuleViolation):
        hold.release(commissions, adjustments, NOW)


def test_a_released_hold_gives_everything_back_and_can_hold_again():
    hold = PayoutHold.new(payout_id="p1", partner_id=PARTNER, currency="USD", now=NOW)
    commissions, adjustments = [approved("30.00")], [clawback("5.00")]
    hold.take(commissions, adjustments, usd("0"), NOW)
    assert hold.release(commissions, adjustments, NOW) and not hold.release([], [], NOW)
    assert commissions[0].status is Status.APPROVED and commissions[0].payout_id is None
    assert adjustments[0].position().bucket is Bucket.ADJUSTMENTS
    assert hold.take(commissions, adjustments, usd("0"), NOW)
    with pytest.raises(Conflict):
        hold.check_belongs_to(str(uuid.uuid4()), "USD")


def test_nothing_payable_when_clawbacks_exceed_approved():
    hold = PayoutHold.new(payout_id="p1", partner_id=PARTNER, currency="USD", now=NOW)
    assert not hold.take([approved("10.00")], [clawback("20.00")], usd("0"), NOW)
    assert not hold.take([], [], usd("0"), NOW)
