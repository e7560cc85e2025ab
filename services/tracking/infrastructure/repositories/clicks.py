"""Clicks: bulk inserts (one ``executemany`` per batch), flooding counters upserted in
the same statement style, and the lookups attribution and CPC billing need -- each one
an indexed query, so per-click work stays O(1) whatever the table size."""
from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import (
    bindparam,
    delete,
    false,
    insert,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.engine import Connection

from common.seedwork.application.unit_of_work import AbstractRepository
from common.seedwork.domain.ids import first_id_at
from common.seedwork.errors import ConcurrencyConflict
from services.tracking.domain.billing import BillableClick, ClickBatch
from services.tracking.domain.clicks import Click, ClickRequest, ClickTrace
from services.tracking.domain.fraud import FloodKey
from services.tracking.infrastructure.sql import chunks, upsert, upsert_for
from services.tracking.infrastructure.tables import click_counters, clicks, parked_clicks

# built once: the hot path only binds values (SQLAlchemy reuses the compiled form)
INSERT_CLICKS = insert(clicks)
PURGE_CLICKS = delete(clicks).where(clicks.c.id.in_(
    select(clicks.c.id).where(
        clicks.c.id < bindparam("bound"), clicks.c.occurred_at < bindparam("before"),
        or_(clicks.c.billable == false(), clicks.c.cpc_batch_id.is_not(None)))
    .order_by(clicks.c.id).limit(bindparam("limit"))))
_TRACES = select(clicks.c.id, clicks.c.enrollment_id, clicks.c.brand_id, clicks.c.ip,
                 clicks.c.occurred_at, clicks.c.reason)
CLICK_BY_ID = _TRACES.where(clicks.c.id == bindparam("click_id"))
LATEST_FROM_IP = (_TRACES.where(clicks.c.brand_id == bindparam("brand_id"),
                                clicks.c.ip == bindparam("ip"),
                                clicks.c.occurred_at >= bindparam("since"),
                                clicks.c.occurred_at <= bindparam("until"))
                  .order_by(clicks.c.occurred_at.desc()).limit(1))
KNOWN_IDS = union_all(  # recorded or parked: one statement, two primary-key look-ups
    select(clicks.c.id).where(clicks.c.id.in_(bindparam("ids", expanding=True))),
    select(parked_clicks.c.id).where(parked_clicks.c.id.in_(bindparam("ids", expanding=True))))
PARKED = (select(parked_clicks).order_by(parked_clicks.c.occurred_at)
          .limit(bindparam("limit")))
UNPARK = delete(parked_clicks).where(parked_clicks.c.id.in_(bindparam("ids", expanding=True)))


@functools.cache
def _count_for_flooding(dialect: str):
    stmt = upsert_for(dialect, click_counters)
    return stmt.on_conflict_do_update(
        index_elements=[click_counters.c.minute, click_counters.c.referral_code,
                        click_counters.c.ip],
        set_={"clicks": click_counters.c.clicks + stmt.excluded.clicks},
    ).returning(click_counters.c.referral_code, click_counters.c.ip,
                click_counters.c.minute, click_counters.c.clicks)


class SqlClicks(AbstractRepository):
    def __init__(self, connection: Connection):
        super().__init__()
        self.connection = connection

    # flooding counters -------------------------------------------------------------------
    def count_for_flooding(self, batch: Mapping[FloodKey, int]) -> dict[FloodKey, int]:
        """Add the batch's clicks to their counters; the totals after adding. One
        upsert with RETURNING: no lookup query, whatever the batch."""
        if not batch:
            return {}
        increments = [{"referral_code": code, "ip": ip, "minute": minute, "clicks": count}
                      for (code, ip, minute), count in sorted(batch.items())]  # one lock order
        totals = self.connection.execute(_count_for_flooding(self.connection.dialect.name),
                                         increments)
        return {(row.referral_code, row.ip, row.minute): row.clicks for row in totals}

    def purge_flood_counts(self, before: datetime) -> int:
        return self.connection.execute(
            delete(click_counters).where(click_counters.c.minute < before)).rowcount

    def purge_older_than(self, before: datetime, limit: int) -> int:
        """Walks the primary key, not a time index (none: one more index for every click
        recorded): the platform mints click ids as version 7 ids, which sort by their
        minting time, so every such id below ``first_id_at(before)`` was minted before
        ``before``. The click's own time decides. An id of another kind (another
        producer's) that sorts above the bound is kept: never deleted early."""
        return self.connection.execute(PURGE_CLICKS, {
            "bound": first_id_at(before), "before": before, "limit": limit}).rowcount

    # recording ---------------------------------------------------------------------------
    def add(self, recorded: list[Click]) -> None:
        self.connection.execute(INSERT_CLICKS, [_row(click) for click in recorded])

    def known_ids(self, click_ids: list[str]) -> set[str]:
        """Which of these ids are stored already, recorded or parked: a click handed
        over twice is recorded once."""
        if not click_ids:
            return set()
        return set(self.connection.execute(KNOWN_IDS, {"ids": click_ids}).scalars())

    # parked: redirected on a code not replicated yet ---------------------------------------
    def park(self, requests: list[ClickRequest], now: datetime) -> None:
        rows = [{"id": r.click_id, "referral_code": r.referral_code, "ip": r.ip,
                 "user_agent": r.user_agent, "occurred_at": r.occurred_at, "parked_at": now,
                 "landing_url": r.landing_url}
                for r in requests]
        if rows:
            self.connection.execute(upsert(self.connection, parked_clicks)
                                    .on_conflict_do_nothing(index_elements=[parked_clicks.c.id]),
                                    rows)

    def parked(self, limit: int) -> list[ClickRequest]:
        """The oldest parked clicks (usually none: one indexed look-up)."""
        return [ClickRequest(referral_code=row.referral_code, ip=row.ip,
                             user_agent=row.user_agent, occurred_at=row.occurred_at,
                             click_id=row.id, landing_url=row.landing_url)
                for row in self.connection.execute(PARKED, {"limit": limit})]

    def unpark(self, click_ids: list[str]) -> None:
        if click_ids:
            self.connection.execute(UNPARK, {"ids": click_ids})

    # attribution -------------------------------------------------------------------------
    def get(self, click_id: str) -> ClickTrace | None:
        row = self.connection.execute(CLICK_BY_ID, {"click_id": click_id}).first()
        return _trace(row) if row else None

    def latest_from_ip(self, brand_id: str, ip: str, since: datetime,
                       until: datetime) -> ClickTrace | None:
        row = self.connection.execute(LATEST_FROM_IP, {
            "brand_id": brand_id, "ip": ip, "since": since, "until": until}).first()
        return _trace(row) if row else None

    # billing -----------------------------------------------------------------------------
    def unbilled(self, limit: int) -> list[BillableClick]:
        query = (select(clicks.c.id, clicks.c.brand_id, clicks.c.campaign_id,
                        clicks.c.partner_id, clicks.c.enrollment_id, clicks.c.occurred_at,
                        clicks.c.terms_version)
                 .where(clicks.c.billable == true(), clicks.c.cpc_batch_id.is_(None))
                 .limit(limit))
        if self.connection.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)  # two instances, disjoint rows
        return [BillableClick(click_id=row.id, brand_id=row.brand_id,
                              campaign_id=row.campaign_id, partner_id=row.partner_id,
                              enrollment_id=row.enrollment_id, occurred_at=row.occurred_at,
                              terms_version=row.terms_version)
                for row in self.connection.execute(query)]


class SqlClickBatches(AbstractRepository):
    """A batch is stored by stamping its clicks with its id."""

    def __init__(self, connection: Connection):
        super().__init__()
        self.connection = connection

    def add(self, batch: ClickBatch) -> None:
        stamped = 0
        for chunk in chunks(batch.click_ids):
            stamped += self.connection.execute(
                update(clicks).where(clicks.c.id.in_(list(chunk)),
                                     clicks.c.cpc_batch_id.is_(None))
                .values(cpc_batch_id=batch.id)).rowcount
        if stamped != batch.size:
            raise ConcurrencyConflict("Some of these clicks were batched concurrently; retry.")
        self._track(batch)


def _row(click: Click) -> dict:
    return {
        "id": click.click_id, "referral_code": click.referral_code,
        "enrollment_id": click.enrollment_id, "campaign_id": click.campaign_id,
        "brand_id": click.brand_id, "partner_id": click.partner_id, "ip": click.ip,
        "user_agent": click.user_agent, "landing_url": click.landing_url,
        "occurred_at": click.occurred_at, "recorded_at": click.recorded_at,
        "reason": click.reason, "terms_version": click.terms_version,
        "billable": click.billable, "cpc_batch_id": None,
    }


def _trace(row) -> ClickTrace:
    return ClickTrace(click_id=row.id, enrollment_id=row.enrollment_id, brand_id=row.brand_id,
                      ip=row.ip, occurred_at=row.occurred_at, reason=row.reason)
