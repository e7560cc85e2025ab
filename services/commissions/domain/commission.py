"""The Commission aggregate: what one conversion (or one day's batch of clicks) earns.

Lifecycle::

    PENDING --(hold over, or the brand approves)--> APPROVED --(payout holds)--> IN_PAYOUT
    IN_PAYOUT --(payout paid)--> PAID;  IN_PAYOUT --(payout failed)--> APPROVED
    PENDING / APPROVED --(the brand declines)--> DECLINED (its budget goes back)
    REJECTED: never owed (e.g. the campaign budget was exhausted)
    REVERSED: refunded in full before it was paid

A refund reduces the commission in proportion to the refunded share of the order. Before
payment the amount owed shrinks (and that part of the budget goes back to the campaign);
once the commission is in a payout or paid, the reduction becomes a clawback, booked as a
negative adjustment that the partner's next payout nets off.
"""
from __future__ import annotations

import dataclasses
import enum
from datetime import date, datetime

from common.seedwork.domain.entity import AggregateRoot, ValueObject
from common.seedwork.domain.events import DomainEvent
from common.seedwork.domain.money import Money
from common.seedwork.domain.rules import BusinessRule, StatusMustBe, check_rule
from common.seedwork.errors import Forbidden
from services.commissions.domain.ledger import Bucket, Position
from services.commissions.domain.payout_hold import MustBeHeldBy
from services.commissions.domain.terms import Model


class Status(str, enum.Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    IN_PAYOUT = "IN_PAYOUT"
    PAID = "PAID"
    REJECTED = "REJECTED"
    DECLINED = "DECLINED"
    REVERSED = "REVERSED"


BUCKET_OF = {Status.PENDING: Bucket.PENDING, Status.APPROVED: Bucket.APPROVED,
             Status.IN_PAYOUT: Bucket.IN_PAYOUT, Status.PAID: Bucket.PAID}
NOTHING_OWED = (Status.REJECTED, Status.DECLINED, Status.REVERSED)


CONVERSION, CLICKS, BONUS = "conversion", "clicks", "bonus"  # what a commission pays for
BONUS_TERMS_VERSION = 0  # a bonus is paid under no terms


@dataclasses.dataclass(frozen=True)
class Source(ValueObject):
    """What earned the commission: an attributed conversion, a batch of valid clicks, or
    the brand itself (a bonus: no terms, no model, the brand's ``note``)."""

    partner_id: str
    campaign_id: str
    brand_id: str
    source_event_id: str
    terms_version: int
    model: Model | None
    occurred_at: datetime
    conversion_id: str | None = None
    order_amount: Money | None = None
    clicks: int | None = None
    click_day: date | None = None
    note: str | None = None  # a bonus: what the brand says it is for

    @property
    def kind(self) -> str:
        return kind_of(self.conversion_id, self.clicks)


def kind_of(conversion_id: str | None, clicks: int | None) -> str:
    """What a commission pays for: a conversion, a batch of clicks, or neither (a bonus)."""
    if conversion_id is not None:
        return CONVERSION
    return CLICKS if clicks is not None else BONUS


@dataclasses.dataclass(frozen=True)
class Refund(ValueObject):
    """One refund of the commission's order, as tracking reported it."""

    refund_id: str
    order_amount: Money
    total_reversed: Money
    fully_reversed: bool


@dataclasses.dataclass(frozen=True)
class Reduction(ValueObject):
    amount: Money
    clawback: bool  # True: already in a payout or paid, recovered from a later payout


@dataclasses.dataclass(frozen=True)
class CommissionState(ValueObject):
    """The commission as a fact at one moment (what every commission event carries)."""

    commission_id: str
    source: Source
    amount: Money
    status: Status
    hold_until: datetime | None
    reason: str | None
    payout_id: str | None


# --- events -------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class CommissionEvent(DomainEvent):
    commission: CommissionState


@dataclasses.dataclass(frozen=True, kw_only=True)
class CommissionCreated(CommissionEvent):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class BonusAwarded(CommissionEvent):
    """Beside a bonus's ``CommissionCreated``: the partner's news."""

    campaign_name: str | None


@dataclasses.dataclass(frozen=True, kw_only=True)
class CommissionRejected(CommissionEvent):
    reason: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class CommissionApproved(CommissionEvent):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class CommissionDeclined(CommissionEvent):
    """``declined``: what the commission owed before (its ``amount`` is zero now)."""

    reason: str
    declined: Money


@dataclasses.dataclass(frozen=True, kw_only=True)
class CommissionReversed(CommissionEvent):
    reversed_amount: Money
    clawback: bool


@dataclasses.dataclass(frozen=True, kw_only=True)
class CommissionPaid(CommissionEvent):
    payout_id: str


# --- rules --------------------------------------------------------------------------------
@dataclasses.dataclass
class ReasonRequired(BusinessRule):
    reason: str
    message = "Declining a commission needs a reason."

    def is_broken(self) -> bool:
        return not (self.reason or "").strip()


# --- aggregate ----------------------------------------------------------------------------
class Commission(AggregateRoot):
    def __init__(self, *, id: str, source: Source, earned: Money, amount: Money,
                 reversed: Money, status: Status, created_at: datetime, updated_at: datetime,
                 hold_until: datetime | None = None, reason: str | None = None,
                 payout_id: str | None = None, refund_ids: tuple[str, ...] = ()):
        self.id = id
        self.source = source
        self.earned = earned        # what the terms gave, before any refund
        self.amount = amount        # owed now (paid, for a PAID commission)
        self.reversed = reversed    # taken back by refunds (reductions and clawbacks)
        self.status = Status(status)
        self.created_at = created_at
        self.updated_at = updated_at
        self.hold_until = hold_until
        self.reason = reason
        self.payout_id = payout_id
        self.refund_ids = tuple(refund_ids)

    # creation ---------------------------------------------------------------------------
    @classmethod
    def earn(cls, *, id: str, source: Source, amount: Money, hold_until: datetime,
             now: datetime) -> "Commission":
        """PENDING until ``hold_until``. One whose hold is over already (no hold, or a
        conversion reported after its hold) is APPROVED from the start: its
        ``commission_created`` says so, and no ``commission_approved`` follows (that
        event means a PENDING commission became payable later)."""
        status = Status.APPROVED if hold_until <= now else Status.PENDING
        commission = cls(id=id, source=source, earned=amount, amount=amount,
                         reversed=Money.zero(amount.currency), status=status,
                         created_at=now, updated_at=now, hold_until=hold_until)
        commission._recorded(CommissionCreated, now)
        return commission

    @classmethod
    def bonus(cls, *, id: str, source: Source, amount: Money, now: datetime,
              campaign_name: str | None = None) -> "Commission":
        """The brand's own award: APPROVED at once (the brand decided it), no hold."""
        commission = cls.earn(id=id, source=source, amount=amount, hold_until=now, now=now)
        commission._recorded(BonusAwarded, now, campaign_name=campaign_name)
        return commission

    @classmethod
    def reject(cls, *, id: str, source: Source, currency: str, reason: str,
               now: datetime) -> "Commission":
        zero = Money.zero(currency)
        commission = cls(id=id, source=source, earned=zero, amount=zero, reversed=zero,
                         status=Status.REJECTED, created_at=now, updated_at=now, reason=reason)
        commission._recorded(CommissionRejected, now, reason=reason)
        return commission

    # properties -------------------------------------------------------------------------
    @property
    def partner_id(self) -> str:
        return self.source.partner_id

    @property
    def brand_id(self) -> str:
        return self.source.brand_id

    @property
    def campaign_id(self) -> str:
        return self.source.campaign_id

    @property
    def currency(self) -> str:
        return self.amount.currency

    def position(self) -> Position:
        bucket = BUCKET_OF.get(self.status)
        if bucket is None:
            return Position.nowhere(self.currency)
        return Position(bucket, self.amount)

    def is_due(self, now: datetime) -> bool:
        return self.status is Status.PENDING and self.hold_until is not None \
            and self.hold_until <= now

    def check_owner(self, brand_id: str) -> None:
        if brand_id != self.brand_id:
            raise Forbidden("Only the brand that owns the campaign may do this.",
                            {"acting_brand_id": ["Not the owner of this commission."]})

    # lifecycle --------------------------------------------------------------------------
    def approve(self, now: datetime) -> bool:
        """PENDING -> APPROVED. False (and nothing recorded) if it already was."""
        if self.status is Status.APPROVED:
            return False
        self._expect("approve", Status.PENDING)
        self.status = Status.APPROVED
        self._recorded(CommissionApproved, now)
        return True

    def approve_if_due(self, now: datetime) -> bool:
        return self.is_due(now) and self.approve(now)

    def decline(self, reason: str, now: datetime) -> Money | None:
        """PENDING/APPROVED -> DECLINED. Returns the amount to give back to the budget
        (None if it was declined already)."""
        if self.status is Status.DECLINED:
            return None
        check_rule(ReasonRequired(reason))
        self._expect("decline", Status.PENDING, Status.APPROVED)
        released, self.amount = self.amount, Money.zero(self.currency)
        self.status = Status.DECLINED
        self.reason = reason.strip()
        self._recorded(CommissionDeclined, now, reason=self.reason, declined=released)
        return released

    def hold(self, payout_id: str, now: datetime) -> None:
        self._expect("hold for payout", Status.APPROVED)
        self.status = Status.IN_PAYOUT
        self.payout_id = payout_id
        self.updated_at = now

    def settle(self, payout_id: str, now: datetime) -> None:
        check_rule(MustBeHeldBy(self.payout_id, payout_id))
        if self.status is Status.PAID:
            return
        self._expect("mark paid", Status.IN_PAYOUT)
        self.status = Status.PAID
        self._recorded(CommissionPaid, now, payout_id=payout_id)

    def release(self, payout_id: str, now: datetime) -> None:
        """The payout failed: payable again."""
        check_rule(MustBeHeldBy(self.payout_id, payout_id))
        self._expect("release from payout", Status.IN_PAYOUT)
        self.status = Status.APPROVED
        self.payout_id = None
        self.updated_at = now

    def refund(self, refund: Refund, now: datetime) -> Reduction | None:
        """Take back the refunded share. None when there is nothing (more) to take back.

        The target is computed from the *total* refunded so far (``earned x what is
        left of the order``, rounded once), so refunds applied in any order, or twice,
        end at the same amount.
        """
        if refund.refund_id in self.refund_ids:
            return None
        self.refund_ids += (refund.refund_id,)
        self.updated_at = now
        if self.status in NOTHING_OWED:
            return None
        reduction = self.reduction_for(refund)
        if not reduction.is_positive:
            return None
        clawback = self.status in (Status.IN_PAYOUT, Status.PAID)
        self.reversed += reduction
        if not clawback:
            self.amount -= reduction
            if self.amount.is_zero:
                self.status = Status.REVERSED
        self._recorded(CommissionReversed, now, reversed_amount=reduction, clawback=clawback)
        return Reduction(reduction, clawback)

    def reduction_for(self, refund: Refund) -> Money:
        """How much more of the earned amount this refund takes back."""
        if refund.fully_reversed or not refund.order_amount.is_positive:
            target = Money.zero(self.currency)
        else:
            left = (refund.order_amount - refund.total_reversed).amount
            share = max(left, 0) / refund.order_amount.amount
            target = (self.earned * share).rounded()
        return (self.earned - self.reversed) - target

    # events -----------------------------------------------------------------------------
    @property
    def state(self) -> CommissionState:
        return CommissionState(
            commission_id=self.id, source=self.source, amount=self.amount, status=self.status,
            hold_until=self.hold_until, reason=self.reason, payout_id=self.payout_id)

    def _expect(self, action: str, *allowed: Status) -> None:
        check_rule(StatusMustBe("commission", self.status, allowed, action))

    def _recorded(self, event_type: type[CommissionEvent], now: datetime, **extra) -> None:
        self.updated_at = now
        self.record(event_type(commission=self.state, occurred_at=now, **extra))
