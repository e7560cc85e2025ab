"""The daily stats read model, bumped in the transaction that records the traffic.

Integer counters are incremented in SQL (``ON CONFLICT DO UPDATE SET clicks = clicks +
excluded.clicks``). Revenue is a decimal, stored as text on SQLite, so it is added in
Python on the row the upsert has just locked (and returned) -- never summed by SQLite
as a float.
Statements are built once per table and dialect (the hot path only binds values), and
rows are written in key order so concurrent writers lock them in one order.

A partner row's every change also adds one to its ``revision`` and marks it ``changed``
(in the same upsert: nothing more on the hot path); the ``stats_changed`` timer takes the
marked rows (``changed``), publishes them as one batch and clears the mark (``publish``).
"""
from __future__ import annotations

import functools
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import and_, bindparam, false, select, true, update
from sqlalchemy.engine import Connection

from common.seedwork.application.unit_of_work import AbstractRepository
from services.tracking.application.projections import DailyTally, Tallies
from services.tracking.domain.stats import DailyStatsRow, StatsSnapshot
from services.tracking.infrastructure.sql import upsert_for
from services.tracking.infrastructure.tables import (
    campaign_daily_stats,
    campaigns,
    partner_daily_stats,
)

COUNTERS = {"clicks": "clicks", "valid_clicks": "valid_clicks",
            "conversions": "conversions", "rejected": "rejected_conversions"}
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
        params = [{**dict(zip(key, values, strict=True)), "revenue": Decimal(0), **marks,
                   **{column: getattr(tally, field) for field, column in COUNTERS.items()}}
                  for values, tally in rows]
        with_revenue = any(tally.revenue for _, tally in rows)
        counting = _counting(table, self.connection.dialect.name, with_revenue)
        result = self.connection.execute(counting, params)
        if not with_revenue:
            return
        revenue = {tuple(row[:-1]): row[-1] for row in result}  # the rows are locked now
        for values, tally in rows:
            if tally.revenue:
                self.connection.execute(_set_revenue(table), {
                    **{f"key_{name}": value for name, value in zip(key, values, strict=True)},
                    "new_revenue": revenue[values] + tally.revenue})

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
            revenue=row.revenue, currency=row.currency, revision=row.revision)
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
           partner_daily_stats.c.revenue, partner_daily_stats.c.revision,
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
def _counting(table_name: str, dialect: str, returning_revenue: bool):
    """``INSERT ... ON CONFLICT DO UPDATE`` adding the counters to the day's row (and
    handing back the row's revenue when it is about to change)."""
    table, key = TABLES[table_name], KEYS[table_name]
    stmt = upsert_for(dialect, table)
    changes = {column: table.c[column] + stmt.excluded[column] for column in COUNTERS.values()}
    if table_name == SNAPSHOTTED:
        changes.update(revision=table.c.revision + 1, changed=true())
    stmt = stmt.on_conflict_do_update(index_elements=[table.c[name] for name in key],
                                      set_=changes)
    if returning_revenue:
        stmt = stmt.returning(*(table.c[name] for name in key), table.c.revenue)
    return stmt


@functools.cache
def _set_revenue(table_name: str):
    table = TABLES[table_name]
    return update(table).where(*(
        table.c[name] == bindparam(f"key_{name}") for name in KEYS[table_name])).values(
        revenue=bindparam("new_revenue"))
