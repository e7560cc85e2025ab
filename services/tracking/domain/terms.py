"""Campaign terms as tracking sees them: every version a campaign ever had.

A conversion is judged (attribution window) and priced (by commissions) with the
version in force when it *happened*, not the one in force when it was reported; so the
replica keeps every version and picks by ``effective_from``.
"""
from __future__ import annotations

import bisect
import calendar
import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from common.seedwork.domain.entity import ValueObject

PAY_PER_CLICK = "CPC"
MAX_ATTRIBUTION_WINDOW = timedelta(days=90)  # the contract's upper bound


@dataclasses.dataclass(frozen=True)
class TermsVersion(ValueObject):
    """One version of a campaign's terms. ``snapshot`` is its contract form
    (``common.contracts.shared.TermsSnapshot``), passed on untouched in our events."""

    version: int
    model: str
    attribution_window_days: int
    effective_from: datetime
    snapshot: dict[str, Any] = dataclasses.field(compare=False, hash=False)

    @property
    def pays_per_click(self) -> bool:
        return self.model == PAY_PER_CLICK

    @property
    def attribution_window(self) -> timedelta:
        return timedelta(days=self.attribution_window_days)

    def window_covers(self, click_at: datetime, conversion_at: datetime) -> bool:
        """True when a conversion at ``conversion_at`` may be credited to a click at
        ``click_at``: not before the click, and within the attribution window."""
        return click_at <= conversion_at <= click_at + self.attribution_window

    @property
    def recurring_months(self) -> int | None:
        """Read from the snapshot (absent from versions published before it: None)."""
        return self.snapshot.get("recurring_months")

    def renewal_covers(self, customer_since: datetime, conversion_at: datetime) -> bool:
        """True when a referred customer's order at ``conversion_at`` still earns under
        these terms: they pay recurring commissions and the order falls within
        ``recurring_months`` calendar months of the customer's first attributed order
        (``customer_since``; the moment that many months later is excluded, so a
        monthly plan's 12 payments earn under 12 months)."""
        if self.recurring_months is None:
            return False
        return customer_since <= conversion_at < months_after(customer_since,
                                                               self.recurring_months)


def months_after(moment: datetime, months: int) -> datetime:
    """``moment`` that many calendar months later, on the same day of the month, or on
    the month's last day when it is shorter (January 31 + 1 month: February 28/29)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


T = TypeVar("T")


def _latest_started(items: Sequence[T], starts: Sequence[datetime], moment: datetime) -> T | None:
    """The last of ``items`` (ordered by ``starts``, their start times) that started at or
    before ``moment``; None before the first."""
    index = bisect.bisect_right(starts, moment)
    return items[index - 1] if index else None


FIGURES = ("rate", "min", "max", "amount")  # what a partner's own commission replaces


@dataclasses.dataclass(frozen=True)
class PartnerFigures(ValueObject):
    """A partner's own commission in one campaign, set by its brand from
    ``effective_from`` on (``figures`` None: the campaign's again). ``figures`` is its
    contract form (``common.contracts.shared.CommissionFigures``): the ``model`` it was
    written for and the ``rate``/``min``/``max`` or ``amount`` paid in place of the
    campaign's."""

    revision: int
    effective_from: datetime
    figures: dict[str, Any] | None = dataclasses.field(compare=False, hash=False)

    def priced(self, terms: TermsVersion) -> TermsVersion:
        """``terms`` paying this partner's figures, when they were written for its model
        (a campaign that changed model pays its own)."""
        if self.figures is None or self.figures.get("model") != terms.model:
            return terms
        snapshot = {**terms.snapshot, "partner_commission": True}
        snapshot.update((name, self.figures.get(name)) for name in FIGURES)
        return dataclasses.replace(terms, snapshot=snapshot)


class FiguresHistory:
    """Every partner commission one enrollment was given, ordered by ``effective_from``."""

    def __init__(self, changes: Iterable[PartnerFigures] = ()):
        self.changes = sorted(changes, key=lambda c: (c.effective_from, c.revision))
        self._starts = [c.effective_from for c in self.changes]

    def priced(self, terms: TermsVersion | None, moment: datetime) -> TermsVersion | None:
        """``terms`` (in force at ``moment``) with the partner's figures in force then."""
        change = _latest_started(self.changes, self._starts, moment)
        return change.priced(terms) if change is not None and terms is not None else terms

    def __len__(self) -> int:
        return len(self.changes)


NO_FIGURES = FiguresHistory()


class TermsHistory:
    """Every known version of one campaign's terms, ordered by ``effective_from``."""

    def __init__(self, versions: Iterable[TermsVersion] = ()):
        self.versions = sorted(versions, key=lambda v: (v.effective_from, v.version))
        self._starts = [v.effective_from for v in self.versions]

    def in_force_at(self, moment: datetime) -> TermsVersion | None:
        """The latest version that took effect at or before ``moment`` (None before the
        first one)."""
        return _latest_started(self.versions, self._starts, moment)

    def version(self, number: int) -> TermsVersion | None:
        return next((v for v in self.versions if v.version == number), None)

    def __len__(self) -> int:
        return len(self.versions)
