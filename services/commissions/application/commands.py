"""Commissions commands: what the service is asked to do (by events, RPC or timers)."""
from __future__ import annotations

import dataclasses
from decimal import Decimal

from common.seedwork.application.messages import Command
from common.seedwork.domain.money import Money
from services.commissions.domain.commission import Refund, Source
from services.commissions.domain.terms import Terms


@dataclasses.dataclass(frozen=True, kw_only=True)
class RecordConversionCommission(Command):
    """tracking attributed a conversion: price it with the terms it carries."""

    source: Source
    terms: Terms


@dataclasses.dataclass(frozen=True, kw_only=True)
class RecordClickCommission(Command):
    """tracking reported a batch of valid clicks (CPC terms)."""

    source: Source
    terms: Terms


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReverseConversionCommission(Command):
    conversion_id: str
    partner_id: str
    refund: Refund


@dataclasses.dataclass(frozen=True, kw_only=True)
class ApproveDueCommissions(Command):
    limit: int = 500


@dataclasses.dataclass(frozen=True, kw_only=True)
class ApproveCommission(Command):
    commission_id: str
    acting_brand_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ApproveCommissions(Command):
    """Several of the brand's commissions approved at once, each on its own (one refused
    leaves the others approved)."""

    commission_ids: tuple[str, ...]
    acting_brand_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class AwardBonus(Command):
    """The campaign's brand pays a partner a one-off amount (approved at once) out of the
    campaign's budget; ``reference``: the brand's own name for it (asked twice, paid once)."""

    reference: str
    acting_brand_id: str
    campaign_id: str
    partner_id: str
    amount: Money
    note: str
    campaign_name: str | None = None  # for the partner's news (commissions keeps no names)


@dataclasses.dataclass(frozen=True, kw_only=True)
class DeclineCommission(Command):
    commission_id: str
    acting_brand_id: str
    reason: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class HoldForPayout(Command):
    payout_id: str
    partner_id: str
    currency: str
    min_amount: Decimal | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConfirmPayout(Command):
    payout_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReleasePayout(Command):
    payout_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class FollowCampaignBudget(Command):
    """A campaign event: the campaign's budget and the smallest commission its terms in
    force allow, at the snapshot's revision."""

    campaign_id: str
    brand_id: str
    total: Money
    smallest: Money
    revision: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class PublishBalancesChanges(Command):
    """Timer: the ledgers and campaign budgets changed since their last batch, at most
    ``max_rows`` of each per ``balances_changed`` event."""

    max_rows: int = 500


@dataclasses.dataclass(frozen=True, kw_only=True)
class ApplyParkedRefunds(Command):
    """Timer: refunds still parked although their commission exists (a crash between
    the two commits that normally apply them, or a refund parked while its conversion's
    transaction ran)."""

    limit: int = 100
