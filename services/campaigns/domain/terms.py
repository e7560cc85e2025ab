"""Contract terms: what a partner earns, one immutable version at a time.

* ``CPS`` (cost per sale): ``rate`` (0 < rate <= 1) of the order amount, clamped to the
  optional ``min``/``max`` per conversion;
* ``CPA`` (cost per action): fixed ``amount`` per attributed conversion;
* ``CPC`` (cost per click): fixed ``amount`` per valid click, optionally at most
  ``daily_click_cap`` paid clicks per partner per UTC day.

Every version also fixes the ``attribution_window_days`` (1-90) and the ``hold_days``
(0-90) a commission waits before it can be approved, and is in force from
``effective_from`` until the next version's. CPS and CPA terms may pay **recurring
commissions**: with ``recurring_months`` (1-120), a referred customer's later orders
that no click or code credits still earn the partner who referred them, for that many
calendar months after the customer's first attributed order (tracking decides which
orders; None: only orders a click or code credits earn). Commissions are computed with the version
in force when the conversion happened, so versions are never edited once published.

A brand may also pay one partner its own figures (:class:`PartnerCommission`): a rate
(with its own ``min``/``max``) where the campaign pays CPS, an amount where it pays CPA,
in place of the campaign's, for what happens from the moment it is set. The
window, hold and recurring months stay the campaign's; the figures apply
while the campaign's terms keep the model they were written for.
"""
from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from common.seedwork.domain.entity import ValueObject
from common.seedwork.domain.money import Money
from common.seedwork.errors import ValidationError

WINDOW_DAYS = (1, 90)
HOLD_DAYS = (0, 90)
RECURRING_MONTHS = (1, 120)
V = TypeVar("V")


class Model(str, enum.Enum):
    CPS = "CPS"
    CPA = "CPA"
    CPC = "CPC"


MODELS = tuple(model.value for model in Model)


@dataclasses.dataclass(frozen=True, kw_only=True)
class TermsSpec(ValueObject):
    """Terms as proposed by a brand: not yet checked, not yet versioned."""

    model: str
    attribution_window_days: int
    hold_days: int
    rate: Decimal | None = None
    min: Money | None = None
    max: Money | None = None
    amount: Money | None = None
    daily_click_cap: int | None = None
    recurring_months: int | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Terms(ValueObject):
    version: int
    model: Model
    attribution_window_days: int
    hold_days: int
    effective_from: datetime
    rate: Decimal | None = None
    min: Money | None = None
    max: Money | None = None
    amount: Money | None = None
    daily_click_cap: int | None = None
    recurring_months: int | None = None

    @classmethod
    def define(cls, spec: TermsSpec, *, currency: str, version: int,
               effective_from: datetime) -> "Terms":
        """Version ``version`` of ``spec``; ValidationError naming every bad field."""
        problems = terms_problems(spec, currency)
        if problems:
            raise ValidationError("The terms are invalid.", {"terms": problems})
        return cls(
            version=version, model=Model(spec.model), effective_from=effective_from,
            attribution_window_days=spec.attribution_window_days, hold_days=spec.hold_days,
            rate=canonical(spec.rate) if spec.rate is not None else None,
            min=spec.min, max=spec.max, amount=spec.amount,
            daily_click_cap=spec.daily_click_cap, recurring_months=spec.recurring_months,
        )

    def smallest_commission(self, currency: str) -> Money:
        """The least a single commission under these terms can be (never zero)."""
        if self.model is Model.CPS:
            if self.min is not None and self.min.is_positive:
                return self.min
            return Money.from_minor_units(1, currency)
        return self.amount


@dataclasses.dataclass(frozen=True, kw_only=True)
class PartnerCommission(ValueObject):
    """One partner's own figures in a campaign, in place of the campaign's: ``rate``
    (and optional ``min``/``max``) for CPS, ``amount`` for CPA."""

    model: Model
    rate: Decimal | None = None
    min: Money | None = None
    max: Money | None = None
    amount: Money | None = None

    @classmethod
    def define(cls, terms: Terms, currency: str, *, rate: Decimal | None = None,
               min: Money | None = None, max: Money | None = None,
               amount: Money | None = None) -> "PartnerCommission":
        """Figures for a campaign whose latest terms are ``terms``, checked by the rules
        its terms obey (a rate for CPS, an amount for CPA, in ``currency``);
        ValidationError naming every bad field under ``commission``. A campaign paying
        per click pays every partner its amount (its clicks are billed in daily batches
        per terms version)."""
        if terms.model is Model.CPC:
            raise ValidationError("The partner's commission is invalid.", {"commission": [
                "Only for CPS and CPA campaigns: clicks earn the campaign's amount."]})
        spec = TermsSpec(model=terms.model.value,
                         attribution_window_days=terms.attribution_window_days,
                         hold_days=terms.hold_days, rate=rate, min=min, max=max,
                         amount=amount, daily_click_cap=terms.daily_click_cap,
                         recurring_months=terms.recurring_months)
        problems = terms_problems(spec, currency)
        if problems:
            raise ValidationError("The partner's commission is invalid.",
                                  {"commission": problems})
        return cls(model=terms.model, rate=canonical(rate) if rate is not None else None,
                   min=min, max=max, amount=amount)


def canonical(value: Decimal) -> Decimal:
    """The same number without padding zeros ("0.10" -> "0.1"), as stored."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return Decimal(text or "0")


def version_in_force(versions: Sequence[V], at: datetime,
                     effective_from: Callable[[V], datetime]) -> V:
    """The last version (ordered by version) in force at ``at``; the first one if ``at``
    is earlier than every version (clock skew around the campaign's creation)."""
    current = versions[0]
    for version in versions[1:]:
        if effective_from(version) <= at:
            current = version
    return current


# --- validation ----------------------------------------------------------------------------
Problems = dict[str, list[str]]


def terms_problems(spec: TermsSpec, currency: str) -> Problems:
    """Every problem of ``spec`` for a campaign paid in ``currency``, by field."""
    problems: Problems = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    _check_days(spec, add)
    _check_recurring(spec, add)
    _check_currencies(spec, currency, add)
    if spec.model == Model.CPS.value:
        _check_cps(spec, add)
    elif spec.model in (Model.CPA.value, Model.CPC.value):
        _check_fixed_amount(spec, add)
    else:
        add("model", f"Must be one of: {', '.join(MODELS)}.")
    return problems


def _check_days(spec: TermsSpec, add) -> None:
    low, high = WINDOW_DAYS
    if not low <= spec.attribution_window_days <= high:
        add("attribution_window_days", f"Must be between {low} and {high} days.")
    low, high = HOLD_DAYS
    if not low <= spec.hold_days <= high:
        add("hold_days", f"Must be between {low} and {high} days.")


def _check_recurring(spec: TermsSpec, add) -> None:
    if spec.recurring_months is None:
        return
    if spec.model == Model.CPC.value:
        add("recurring_months", "Only for CPS and CPA terms (a click does not recur).")
        return
    low, high = RECURRING_MONTHS
    if not low <= spec.recurring_months <= high:
        add("recurring_months", f"Must be between {low} and {high} months.")


def _check_currencies(spec: TermsSpec, currency: str, add) -> None:
    for field in ("min", "max", "amount"):
        money = getattr(spec, field)
        if money is not None and money.currency != currency:
            add(field, f"Must be in {currency}, the campaign's currency.")


def _check_cps(spec: TermsSpec, add) -> None:
    if spec.rate is None:
        add("rate", "Required for CPS terms.")
    elif not Decimal(0) < spec.rate <= Decimal(1):
        add("rate", "Must be greater than 0 and at most 1 (0.10 is 10%).")
    if spec.min is not None and spec.min.is_negative:
        add("min", "Must not be negative.")
    if spec.max is not None and not spec.max.is_positive:
        add("max", "Must be greater than 0.")
    if (spec.min is not None and spec.max is not None
            and spec.min.currency == spec.max.currency and spec.min > spec.max):
        add("min", "Must not be greater than max.")
    if spec.amount is not None:
        add("amount", "Only for CPA and CPC terms (CPS pays a rate).")
    if spec.daily_click_cap is not None:
        add("daily_click_cap", "Only for CPC terms.")


def _check_fixed_amount(spec: TermsSpec, add) -> None:
    if spec.amount is None:
        add("amount", f"Required for {spec.model} terms.")
    elif not spec.amount.is_positive:
        add("amount", "Must be greater than 0.")
    for field in ("rate", "min", "max"):
        if getattr(spec, field) is not None:
            add(field, "Only for CPS terms.")
    if spec.daily_click_cap is not None:
        if spec.model != Model.CPC.value:
            add("daily_click_cap", "Only for CPC terms.")
        elif spec.daily_click_cap < 1:
            add("daily_click_cap", "Must be at least 1.")
