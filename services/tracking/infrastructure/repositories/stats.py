"""The daily stats read model, bumped in the transaction that records the traffic.

Every column is an integer incremented in SQL, one upsert per table (``ON CONFLICT DO
UPDATE SET clicks = clicks + excluded.clicks``), revenue too: as whole units and 10⁻¹⁰
parts (``infrastructure/revenue.py``), exact on both databases.
Statements are built once per table and dialect (the hot path only binds values), and
rows are written in key order so concurrent writers lock them in one order.

A partner row's every change also adds one to its ``revision`` and marks it ``changed``
(in the same upsert: nothing more on the hot path); the ``stats_changed`` timer takes the
marked rows (``changed``), publishes them as one batch and clears the mark (``publish``).
"""
from __future__ import annotations

import functools
from collections import defaultdict

from sqlalchemy import and_, bindparam, false, select, true, update
from sqlalchemy.engine import Connection

from common.seedwork.application.unit_of_work import AbstractRepository
from services.tracking.application.projections import DailyTally, Tallies
from services.tracking.domain.stats import DailyStatsRow, StatsSnapshot
from services.tracking.infrastructure.revenue import joined, split
from services.tracking.infrastructure.sql import upsert_for
from services.tracking.infrastructure.tables import (
    campaign_daily_stats,
    campaigns,
    partner_daily_stats,
)

COUNTERS = {"clicks": "clicks", "valid_clicks": "valid_clicks",
            "conversions": "conversions", "rejected": "rejected_conversions"}
REVENUE = ("revenue_units", "revenue_parts")
KEYS = {campaign_daily_stats.name: ("campaign_id", "day"),
        partner_daily_stats.name: ("partner_id", "campaign_id", "day")}
TABLES = {table.name: table for table in (campaign_daily_stats, partner_daily_stats)}
SNAPSHOTTED = partner_daily_stats.name  # the rows that carry revision and changed


class SqlStats(AbstractRepository):
    def __init__(self, connection: Connection):
        super().__init__()
        self.connection = connection

    def add(self, tallies: Tallies) -> None:
        by_campaign: dict[tuple, DailyTally] = defaultdict(DailyTally)
        by_partner: dict[tuple, DailyTally] = {}
        for (campaign_id, partner_id, day), tally in tallies.items():
            by_campaign[(campaign_id, day)] += tally
            by_partner[(partner_id, campaign_id, day)] = tally
        self._bump(campaign_daily_stats.name, by_campaign)
        self._bump(partner_daily_stats.name, by_partner)

    def _bump(self, table: str, tallies: dict[tuple, DailyTally]) -> None:
        if not tallies:
            return
        key = KEYS[table]
        rows = sorted(tallies.items())
        marks = {"revision": 1, "changed": True} if table == SNAPSHOTTED else {}
        params = [{**dict(zip(key, values, strict=True)), **marks,
                   **dict(zip(REVENUE, split(tally.revenue), strict=True)),
                   **{column: getattr(tally, field) for field, column in COUNTERS.items()}}
                  for values, tally in rows]
        self.connection.execute(_counting(table, self.connection.dialect.name), params)

    # --- stats_changed batches ----------------------------------------------------------
    def any_changed(self) -> bool:
        return self.connection.execute(_ANY_CHANGED).first() is not None

    def changed(self, limit: int) -> list[DailyStatsRow]:
        """Up to ``limit`` rows changed since they were last published, with their
        campaign's brand and currency; locked until the transaction ends (another
        instance's timer skips them, a conversion bumping one waits for the commit)."""
        query = _CHANGED.limit(limit)
        if self.connection.dialect.name == "postgresql":
            query = query.with_for_update(of=partner_daily_stats, skip_locked=True)
        return [DailyStatsRow(
            partner_id=row.partner_id, campaign_id=row.campaign_id, brand_id=row.brand_id,
            day=row.day, clicks=row.clicks, valid_clicks=row.valid_clicks,
            conversions=row.conversions, rejected_conversions=row.rejected_conversions,
            revenue=joined(row.revenue_units, row.revenue_parts), currency=row.currency,
            revision=row.revision)
            for row in self.connection.execute(query)]

    def publish(self, snapshot: StatsSnapshot) -> None:
        """Clear the rows' marks (only at the revision published: a row changed since
        stays marked) and hand the snapshot's event to the unit of work."""
        self.connection.execute(_PUBLISHED, [
            {"key_partner_id": row.partner_id, "key_campaign_id": row.campaign_id,
             "key_day": row.day, "published_revision": row.revision}
            for row in snapshot.rows])
        self._track(snapshot)


_ANY_CHANGED = select(partner_daily_stats.c.day).where(
    partner_daily_stats.c.changed == true()).limit(1)
_CHANGED = (
    select(partner_daily_stats.c.partner_id, partner_daily_stats.c.campaign_id,
           partner_daily_stats.c.day, *(partner_daily_stats.c[name] for name in COUNTERS.values()),
           *(partner_daily_stats.c[name] for name in REVENUE), partner_daily_stats.c.revision,
           campaigns.c.brand_id, campaigns.c.currency)
    .join_from(partner_daily_stats, campaigns,
               campaigns.c.id == partner_daily_stats.c.campaign_id)
    .where(partner_daily_stats.c.changed == true()))
_PUBLISHED = update(partner_daily_stats).where(and_(
    partner_daily_stats.c.partner_id == bindparam("key_partner_id"),
    partner_daily_stats.c.campaign_id == bindparam("key_campaign_id"),
    partner_daily_stats.c.day == bindparam("key_day"),
    partner_daily_stats.c.revision == bindparam("published_revision"))).values(changed=false())


@functools.cache
def _counting(table_name: str, dialect: str):
    """``INSERT ... ON CONFLICT DO UPDATE`` adding the counters and the revenue to the
    day's row."""
    table, key = TABLES[table_name], KEYS[table_name]
    stmt = upsert_for(dialect, table)
    changes = {column: table.c[column] + stmt.excluded[column]
               for column in (*COUNTERS.values(), *REVENUE)}
    if table_name == SNAPSHOTTED:
        changes.update(revision=table.c.revision + 1, changed=true())
    return stmt.on_conflict_do_update(index_elements=[table.c[name] for name in key],
                                      set_=changes)
