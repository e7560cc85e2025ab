"""The Conversion aggregate: one order of one brand, attributed, rejected or left
unattributed once and for all when it is recorded, then possibly refunded.

``(brand_id, order_id)`` identifies it: reporting the same order again changes nothing.
Refunds are idempotent per ``refund_id`` and never exceed the order amount; each refund
of an attributed conversion is published (``conversion_reversed``) so commissions can
claw back.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from common.seedwork.domain.entity import AggregateRoot, ValueObject, new_id
from common.seedwork.domain.events import DomainEvent
from common.seedwork.domain.money import Money
from common.seedwork.errors import Conflict, ValidationError
from services.tracking.domain.attribution import (
    ATTRIBUTED,
    REJECTED,
    ConversionFacts,
    Verdict,
)


@dataclasses.dataclass(frozen=True)
class Refund(ValueObject):
    refund_id: str
    amount: Money
    recorded_at: datetime


@dataclasses.dataclass(frozen=True)
class ConversionState(ValueObject):
    """The conversion as a fact (what its events carry)."""

    conversion_id: str
    brand_id: str
    order_id: str
    amount: Money
    status: str
    reason: str | None
    occurred_at: datetime
    partner_id: str | None
    campaign_id: str | None
    enrollment_id: str | None
    referral_code: str | None
    click_id: str | None
    terms_version: int | None
    terms: dict[str, Any] | None = dataclasses.field(compare=False, hash=False)
    total_reversed: Money | None = None
    attribution: str | None = None  # what credited it: click, code or customer


class DuplicateOrder(Conflict):
    """The brand's order is already recorded (a concurrent duplicate got there first)."""

    code = "duplicate_order"
    default_message = "This order is already recorded."


def default_refund_id(amount: Money | None) -> str:
    """The refund id of a call without one: ``"full"`` for "refund what is left",
    ``"partial:<amount>"`` otherwise -- so a retried call is a no-op (two distinct
    refunds of the same amount need their own ids)."""
    return "full" if amount is None else f"partial:{amount.format_amount()}"


# --- events -------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class ConversionAttributed(DomainEvent):
    conversion: ConversionState


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConversionRejected(DomainEvent):
    conversion: ConversionState


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConversionReversed(DomainEvent):
    conversion: ConversionState
    refund: Refund


# --- aggregate ----------------------------------------------------------------------------
class Conversion(AggregateRoot):
    def __init__(self, *, id: str, brand_id: str, order_id: str, amount: Money, status: str,
                 reason: str | None, occurred_at: datetime, recorded_at: datetime,
                 partner_id: str | None = None, campaign_id: str | None = None,
                 enrollment_id: str | None = None, referral_code: str | None = None,
                 click_id: str | None = None, terms_version: int | None = None,
                 terms: dict[str, Any] | None = None, customer_ip: str | None = None,
                 customer_id: str | None = None, attribution: str | None = None,
                 refunds: Iterable[Refund] = (), updated_at: datetime | None = None):
        self.id = id
        self.brand_id = brand_id
        self.order_id = order_id
        self.amount = amount
        self.status = status
        self.reason = reason
        self.occurred_at = occurred_at
        self.recorded_at = recorded_at
        self.partner_id = partner_id
        self.campaign_id = campaign_id
        self.enrollment_id = enrollment_id
        self.referral_code = referral_code
        self.click_id = click_id
        self.terms_version = terms_version
        self.terms = terms
        self.customer_ip = customer_ip
        self.customer_id = customer_id
        self.attribution = attribution
        self.refunds = list(refunds)
        self.updated_at = updated_at or recorded_at

    @classmethod
    def of(cls, facts: ConversionFacts, verdict: Verdict, now: datetime) -> "Conversion":
        """The conversion of a judged order (recording its attributed/rejected event)."""
        credit = verdict.credit
        enrollment = credit.target.enrollment if credit else None
        terms = credit.terms if credit else None
        conversion = cls(
            id=new_id(), brand_id=facts.brand_id, order_id=facts.order_id,
            amount=facts.amount, status=verdict.status, reason=verdict.reason,
            occurred_at=facts.occurred_at, recorded_at=now,
            partner_id=enrollment.partner_id if enrollment else None,
            campaign_id=enrollment.campaign_id if enrollment else None,
            enrollment_id=enrollment.enrollment_id if enrollment else None,
            referral_code=enrollment.referral_code if enrollment else None,
            click_id=credit.click.click_id if credit and credit.click else None,
            terms_version=terms.version if terms else None,
            terms=terms.snapshot if terms else None,
            customer_ip=facts.customer_ip, customer_id=facts.customer_id,
            attribution=credit.by if credit else None,
        )
        if verdict.status == ATTRIBUTED:
            conversion.record(ConversionAttributed(conversion=conversion.state, occurred_at=now))
        elif verdict.status == REJECTED:
            conversion.record(ConversionRejected(conversion=conversion.state, occurred_at=now))
        return conversion

    # refunds -----------------------------------------------------------------------------
    @property
    def total_reversed(self) -> Money:
        total = Money.zero(self.amount.currency)
        for refund in self.refunds:
            total = total + refund.amount
        return total

    @property
    def refundable(self) -> Money:
        return self.amount - self.total_reversed

    @property
    def fully_reversed(self) -> bool:
        return self.refundable.is_zero

    def refund(self, refund_id: str, amount: Money | None, now: datetime) -> Refund | None:
        """Apply a refund; the refund, or None when this ``refund_id`` was applied before.

        ``amount`` None refunds whatever is left. Raises ValidationError (naming
        ``amount``) beyond what is left, Conflict when a known ``refund_id`` comes back
        with another amount.
        """
        known = next((r for r in self.refunds if r.refund_id == refund_id), None)
        if known is not None:
            if amount is not None and amount != known.amount:
                raise Conflict("This refund id was already used with another amount.", {
                    "refund_id": [f"Already refunded {known.amount} under this id."]})
            return None
        amount = self.refundable if amount is None else amount
        self._check_refundable(amount)
        refund = Refund(refund_id=refund_id, amount=amount, recorded_at=now)
        self.refunds.append(refund)
        self.updated_at = now
        if self.status == ATTRIBUTED:
            self.record(ConversionReversed(conversion=self.state, refund=refund, occurred_at=now))
        return refund

    def _check_refundable(self, amount: Money) -> None:
        if amount.currency != self.amount.currency:
            raise ValidationError("Refund in another currency.", {
                "amount": [f"The order was in {self.amount.currency}."]})
        if not amount.is_positive:
            problem = ("Nothing is left to refund." if self.fully_reversed
                       else "Must be greater than zero.")
            raise ValidationError("The refund amount is invalid.", {"amount": [problem]})
        if amount > self.refundable:
            raise ValidationError("A refund cannot exceed the order.", {
                "amount": [f"At most {self.refundable} of {self.amount} can be refunded."]})

    @property
    def state(self) -> ConversionState:
        return ConversionState(
            conversion_id=self.id, brand_id=self.brand_id, order_id=self.order_id,
            amount=self.amount, status=self.status, reason=self.reason,
            occurred_at=self.occurred_at, partner_id=self.partner_id,
            campaign_id=self.campaign_id, enrollment_id=self.enrollment_id,
            referral_code=self.referral_code, click_id=self.click_id,
            terms_version=self.terms_version, terms=self.terms,
            total_reversed=self.total_reversed, attribution=self.attribution,
        )
