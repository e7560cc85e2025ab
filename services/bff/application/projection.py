"""The read model's rules, in plain Python (unit-tested on their own).

**Newest revision wins.** Every row another service publishes carries a ``revision``
that only goes up with each change of that row (a partner's, a campaign's or an
enrollment's revision; a daily stats row's; a ledger's or a budget's version). A row is
taken only if its revision is higher than the one held: a redelivered event, or an older
batch that arrives after a newer one (two instances, two queues, a retry), changes
nothing. The read model moves only forward, as the platform's replicas do (design.md).

**Sums kept by differences.** A campaign's daily stats are the sum of its partners'
rows: when a partner's row is replaced by a newer one, the campaign's row moves by the
difference. A partner's earnings per day are what its ledger's total (every bucket:
pending, approved, in payout, paid, and clawbacks) grew or shrank by, on the UTC day of
the ledger's last posting -- so a conversion reported the day it happened shows that
day, a refund the day it was booked. Both are applied in the transaction that replaces
the row, so they are as exactly-once as the replacement.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

StatsKey = tuple[str, date, str]       # (partner_id, day, campaign_id)
CampaignDay = tuple[str, date, str]    # (campaign_id, day, currency)
LedgerKey = tuple[str, str]            # (partner_id, currency)
EarningsDay = tuple[str, date, str]    # (partner_id, day, currency)
BUCKETS = ("pending", "approved", "in_payout", "paid", "adjustments")  # a ledger's


def is_newer(incoming: int, held: int | None) -> bool:
    """Take ``incoming`` over what is held (nothing held: anything is newer)."""
    return held is None or incoming > held


@dataclasses.dataclass(frozen=True)
class Counts:
    clicks: int = 0
    valid_clicks: int = 0
    conversions: int = 0
    rejected_conversions: int = 0
    revenue: Decimal = Decimal(0)

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(*(getattr(self, f.name) + getattr(other, f.name)
                        for f in dataclasses.fields(self)))

    def __sub__(self, other: "Counts") -> "Counts":
        return Counts(*(getattr(self, f.name) - getattr(other, f.name)
                        for f in dataclasses.fields(self)))

    @property
    def is_zero(self) -> bool:
        return self == Counts()


@dataclasses.dataclass(frozen=True)
class StatsRow:
    """One partner's traffic on one campaign during one UTC day (tracking's)."""

    partner_id: str
    campaign_id: str
    day: date
    currency: str
    counts: Counts
    revision: int

    @property
    def key(self) -> StatsKey:
        return (self.partner_id, self.day, self.campaign_id)


@dataclasses.dataclass(frozen=True)
class LedgerRow:
    """A partner's ledger in one currency (commissions'): amount per bucket."""

    partner_id: str
    currency: str
    buckets: Mapping[str, Decimal]
    revision: int
    updated_at: datetime | None = None

    @property
    def key(self) -> LedgerKey:
        return (self.partner_id, self.currency)

    @property
    def total(self) -> Decimal:
        """What the partner earned in all, net of refunds and clawbacks."""
        return sum(self.buckets.values(), Decimal(0))


@dataclasses.dataclass(frozen=True)
class StatsChanges:
    rows: list[StatsRow]                     # to store (newer than held)
    campaigns: dict[CampaignDay, Counts]     # to add to the campaigns' rows


@dataclasses.dataclass(frozen=True)
class LedgerChanges:
    rows: list[LedgerRow]
    earnings: dict[EarningsDay, Decimal]     # to add to the partners' days


def project_stats(held: Mapping[StatsKey, StatsRow], incoming: Iterable[StatsRow]
                  ) -> StatsChanges:
    """The rows newer than ``held`` (a key twice in one batch: its highest revision),
    and what each campaign's day moves by."""
    current = dict(held)
    taken: dict[StatsKey, StatsRow] = {}
    campaigns: dict[CampaignDay, Counts] = {}
    for row in sorted(incoming, key=lambda r: (r.key, r.revision)):
        before = current.get(row.key)
        if not is_newer(row.revision, before.revision if before else None):
            continue
        delta = row.counts - (before.counts if before else Counts())
        day = (row.campaign_id, row.day, row.currency)
        campaigns[day] = campaigns.get(day, Counts()) + delta
        current[row.key] = taken[row.key] = row
    return StatsChanges(rows=[taken[key] for key in sorted(taken)],
                        campaigns={day: counts for day, counts in sorted(campaigns.items())
                                   if not counts.is_zero})


def project_ledgers(held: Mapping[LedgerKey, LedgerRow], incoming: Iterable[LedgerRow]
                    ) -> LedgerChanges:
    """The ledgers newer than ``held``, and what each partner earned on the day of each
    one's last posting (the difference of the totals)."""
    current = dict(held)
    taken: dict[LedgerKey, LedgerRow] = {}
    earned: dict[EarningsDay, Decimal] = {}
    for row in sorted(incoming, key=lambda r: (r.key, r.revision)):
        before = current.get(row.key)
        if not is_newer(row.revision, before.revision if before else None):
            continue
        delta = row.total - (before.total if before else Decimal(0))
        if delta and row.updated_at is not None:
            day = (row.partner_id, row.updated_at.date(), row.currency)
            earned[day] = earned.get(day, Decimal(0)) + delta
        current[row.key] = taken[row.key] = row
    return LedgerChanges(rows=[taken[key] for key in sorted(taken)],
                         earnings={day: amount for day, amount in sorted(earned.items())
                                   if amount})
