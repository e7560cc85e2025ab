"""The read model's storage: newest-revision-wins upserts, and rows kept by differences.

A document (profile, campaign, enrollment, budget) is one ``INSERT ... ON CONFLICT DO
UPDATE ... WHERE held.revision < new.revision``: atomic, so two workers keeping two
revisions of one row at once leave the newer, whatever their order.

Rows kept by differences (a campaign's day, a partner's day of earnings) and the rows
whose difference they take (a partner's daily stats, a ledger) are read-modify-write:
each key is first made to exist (``ON CONFLICT DO NOTHING``: a zero row, revision 0),
then read ``FOR UPDATE`` on PostgreSQL (SQLite writers are serialised already), in key
order, so concurrent batches wait for each other instead of adding a difference twice.
Decimal sums are done in Python: on SQLite the amounts are decimal text.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, and_, bindparam, case, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from common.seedwork.application.unit_of_work import AbstractRepository
from services.bff.application.projection import (
    BUCKETS,
    CampaignDay,
    Counts,
    EarningsDay,
    LedgerKey,
    LedgerRow,
    StatsKey,
    StatsRow,
)
from services.bff.infrastructure.tables import (
    balances,
    brands,
    budgets,
    campaign_stats,
    campaigns,
    earnings,
    enrollment_states,
    enrollments,
    partner_profiles,
    partner_stats,
)

COUNTERS = ("clicks", "valid_clicks", "conversions", "rejected_conversions", "revenue")
CHUNK = 300  # keys per IN list: well under SQLite's bound-parameter limit


def _insert(dialect: str, table: Table):
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


@functools.cache
def _newest_wins(dialect: str, table_name: str, keys: tuple[str, ...],
                 keep: tuple[str, ...] = ()):
    """INSERT, or UPDATE every column but the keys (and ``keep``) when newer."""
    table = _TABLES[table_name]
    stmt = _insert(dialect, table)
    changes = {column.name: stmt.excluded[column.name] for column in table.columns
               if column.name not in keys + keep}
    if table is partner_profiles:  # why it is suspended, while it is
        changes["suspension_reason"] = case(
            (stmt.excluded.status == "SUSPENDED",
             func.coalesce(stmt.excluded.suspension_reason, table.c.suspension_reason)),
            else_=None)
    return stmt.on_conflict_do_update(index_elements=[table.c[key] for key in keys],
                                      set_=changes,
                                      where=table.c.revision < stmt.excluded.revision)


@functools.cache
def _ensure(dialect: str, table_name: str):
    return _insert(dialect, _TABLES[table_name]).on_conflict_do_nothing()


class _Sql(AbstractRepository):
    def __init__(self, connection: Connection):
        super().__init__()
        self.connection = connection

    @property
    def dialect(self) -> str:
        return self.connection.dialect.name

    def _locked(self, table: Table, key_columns: tuple[str, ...], keys: list[tuple]):
        """The rows of ``keys`` (each already exists), locked, in key order."""
        rows = []
        for start in range(0, len(keys), CHUNK):
            query = (select(table)
                     .where(tuple_(*(table.c[k] for k in key_columns)).in_(
                         keys[start:start + CHUNK]))
                     .order_by(*(table.c[k] for k in key_columns)))
            if self.dialect == "postgresql":
                query = query.with_for_update()
            rows.extend(self.connection.execute(query))
        return rows


class SqlProfiles(_Sql):
    def keep(self, profile: Mapping[str, Any], revision: int) -> None:
        self.connection.execute(_newest_wins(self.dialect, "partner_profiles", ("partner_id",)),
                                {**profile, "revision": revision})


class SqlBrands(_Sql):
    def keep(self, brand_id: str, brand: Mapping[str, Any]) -> None:
        self.connection.execute(_ensure(self.dialect, "brands"),
                                {"brand_id": brand_id, "brand": dict(brand)})


class SqlCampaigns(_Sql):
    def keep(self, campaign_id: str, brand_id: str, campaign: Mapping[str, Any],
             revision: int, occurred_at: datetime, created: bool) -> None:
        self.connection.execute(
            _newest_wins(self.dialect, "campaigns", ("campaign_id",), ("created_at",)),
            {"campaign_id": campaign_id, "brand_id": brand_id, "created_at": occurred_at,
             "revision": revision, "campaign": dict(campaign)})
        if created:  # whatever came first, this is when it was created
            self.connection.execute(_CREATED_AT, {"key": campaign_id, "at": occurred_at})


_CREATED_AT = update(campaigns).where(campaigns.c.campaign_id == bindparam("key")).values(
    created_at=bindparam("at"))


class SqlEnrollments(_Sql):
    def keep(self, enrollment_id: str, partner_id: str, enrolled_at: datetime,
             enrollment: Mapping[str, Any], revision: int) -> None:
        self.connection.execute(
            _newest_wins(self.dialect, "enrollments", ("enrollment_id",)),
            {"enrollment_id": enrollment_id, "partner_id": partner_id,
             "enrolled_at": enrolled_at, "revision": revision, "enrollment": dict(enrollment)})


class SqlEnrollmentStates(_Sql):
    def keep(self, enrollment_id: str, brand_id: str, campaign_id: str, status: str,
             revision: int) -> None:
        self.connection.execute(
            _newest_wins(self.dialect, "enrollment_states", ("enrollment_id",)),
            {"enrollment_id": enrollment_id, "brand_id": brand_id,
             "campaign_id": campaign_id, "status": status, "revision": revision})


def _zero_counts(currency: str) -> dict[str, Any]:
    return {"currency": currency, "clicks": 0, "valid_clicks": 0, "conversions": 0,
            "rejected_conversions": 0, "revenue": Decimal(0)}


def _counts(row) -> Counts:
    return Counts(*(getattr(row, name) for name in COUNTERS))


STATS_KEY = ("partner_id", "day", "campaign_id")
CAMPAIGN_KEY = ("campaign_id", "day")


class SqlStats(_Sql):
    def held(self, rows: Iterable[StatsRow]) -> dict[StatsKey, StatsRow]:
        incoming = {row.key: row for row in rows}
        if not incoming:
            return {}
        self.connection.execute(_ensure(self.dialect, "partner_stats"), [
            {**dict(zip(STATS_KEY, key, strict=True)), **_zero_counts(row.currency),
             "revision": 0} for key, row in sorted(incoming.items())])
        return {(r.partner_id, r.day, r.campaign_id): StatsRow(
            partner_id=r.partner_id, campaign_id=r.campaign_id, day=r.day,
            currency=r.currency, counts=_counts(r), revision=r.revision)
            for r in self._locked(partner_stats, STATS_KEY, sorted(incoming))}

    def store(self, rows: Iterable[StatsRow]) -> None:
        params = [{**{f"key_{k}": v for k, v in zip(STATS_KEY, row.key, strict=True)},
                   **_counts_params(row.counts), "revision": row.revision} for row in rows]
        if params:
            self.connection.execute(_STATS_STORE, params)

    def add_to_campaigns(self, changes: Mapping[CampaignDay, Counts]) -> None:
        if not changes:
            return
        by_key = {(campaign_id, day): (currency, delta)
                  for (campaign_id, day, currency), delta in changes.items()}
        self.connection.execute(_ensure(self.dialect, "campaign_stats"), [
            {"campaign_id": key[0], "day": key[1], **_zero_counts(currency)}
            for key, (currency, _) in sorted(by_key.items())])
        self.connection.execute(_CAMPAIGN_STORE, [
            {"key_campaign_id": r.campaign_id, "key_day": r.day,
             **_counts_params(_counts(r) + by_key[(r.campaign_id, r.day)][1])}
            for r in self._locked(campaign_stats, CAMPAIGN_KEY, sorted(by_key))])


def _counts_params(counts: Counts) -> dict[str, Any]:
    return {f"new_{name}": getattr(counts, name) for name in COUNTERS}


def _store(table: Table, key: tuple[str, ...], columns: tuple[str, ...]):
    return update(table).where(and_(*(table.c[k] == bindparam(f"key_{k}") for k in key))
                               ).values({c: bindparam(f"new_{c}") for c in columns})


_STATS_STORE = _store(partner_stats, STATS_KEY, COUNTERS).values(revision=bindparam("revision"))
_CAMPAIGN_STORE = _store(campaign_stats, CAMPAIGN_KEY, COUNTERS)

LEDGER_KEY = ("partner_id", "currency")
EARNINGS_KEY = ("partner_id", "day", "currency")


class SqlBalances(_Sql):
    def held(self, rows: Iterable[LedgerRow]) -> dict[LedgerKey, LedgerRow]:
        keys = sorted({row.key for row in rows})
        if not keys:
            return {}
        self.connection.execute(_ensure(self.dialect, "balances"), [
            {"partner_id": p, "currency": c, **{b: Decimal(0) for b in BUCKETS},
             "revision": 0} for p, c in keys])
        return {(r.partner_id, r.currency): LedgerRow(
            partner_id=r.partner_id, currency=r.currency,
            buckets={b: getattr(r, b) for b in BUCKETS}, revision=r.revision)
            for r in self._locked(balances, LEDGER_KEY, keys)}

    def store(self, rows: Iterable[LedgerRow]) -> None:
        params = [{"key_partner_id": row.partner_id, "key_currency": row.currency,
                   **{f"new_{b}": row.buckets[b] for b in BUCKETS}, "revision": row.revision}
                  for row in rows]
        if params:
            self.connection.execute(_BALANCES_STORE, params)

    def add_earnings(self, changes: Mapping[EarningsDay, Decimal]) -> None:
        if not changes:
            return
        keys = sorted(changes)
        self.connection.execute(_ensure(self.dialect, "earnings"), [
            {"partner_id": p, "day": d, "currency": c, "amount": Decimal(0)}
            for p, d, c in keys])
        self.connection.execute(_EARNINGS_STORE, [
            {"key_partner_id": r.partner_id, "key_day": r.day, "key_currency": r.currency,
             "new_amount": r.amount + changes[(r.partner_id, r.day, r.currency)]}
            for r in self._locked(earnings, EARNINGS_KEY, keys)])

    def keep_budgets(self, rows: Iterable[Mapping[str, Any]]) -> None:
        params = sorted((dict(row) for row in rows), key=lambda row: row["campaign_id"])
        if params:
            self.connection.execute(
                _newest_wins(self.dialect, "budgets", ("campaign_id",)), params)


_BALANCES_STORE = _store(balances, LEDGER_KEY, BUCKETS).values(revision=bindparam("revision"))
_EARNINGS_STORE = _store(earnings, EARNINGS_KEY, ("amount",))

_TABLES = {table.name: table for table in (
    partner_profiles, brands, campaigns, enrollments, enrollment_states, partner_stats,
    campaign_stats, balances, earnings, budgets)}
