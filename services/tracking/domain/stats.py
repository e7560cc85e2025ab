"""Daily stats leave tracking as snapshots: a batch of whole rows that changed.

The stats read model (``application/projections.py``) counts each partner's traffic on
each campaign per UTC day in the transaction that records it, and marks the row changed.
A timer gathers the changed rows into a :class:`StatsSnapshot` -- one ``stats_changed``
event per batch, never one per click or conversion -- and unmarks them in the same
transaction that writes the event to the outbox: a row changed again later is marked
again and goes out in a later batch, with a higher ``revision``.
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal

from common.seedwork.domain.entity import AggregateRoot, ValueObject, new_id
from common.seedwork.domain.events import DomainEvent


@dataclasses.dataclass(frozen=True)
class DailyStatsRow(ValueObject):
    partner_id: str
    campaign_id: str
    brand_id: str
    day: date
    clicks: int
    valid_clicks: int
    conversions: int
    rejected_conversions: int
    revenue: Decimal
    currency: str      # the campaign's
    revision: int      # goes up with every change of the row

    @property
    def key(self) -> tuple[str, str, date]:
        return (self.partner_id, self.campaign_id, self.day)


@dataclasses.dataclass(frozen=True, kw_only=True)
class StatsChanged(DomainEvent):
    snapshot: "StatsSnapshot"


class StatsSnapshot(AggregateRoot):
    def __init__(self, *, id: str, rows: list[DailyStatsRow]):
        self.id = id
        self.rows = rows

    @classmethod
    def of(cls, rows: list[DailyStatsRow], now: datetime) -> "StatsSnapshot":
        snapshot = cls(id=new_id(), rows=list(rows))
        snapshot.record(StatsChanged(snapshot=snapshot, occurred_at=now))
        return snapshot
