"""Storage guarantees on both databases, below the service: a click is never batched
twice, a replica keeps its newest revision (and what the process cached of it follows
every change, also one made by another instance), revenue stays an exact decimal."""
import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import MetaData, event, text

from common.seedwork.errors import ConcurrencyConflict
from common.seedwork.infrastructure.database import Database
from common.seedwork.infrastructure.messaging import (
    InboxStore,
    OutboxStore,
    inbox_table,
    outbox_table,
)
from services.tracking.application.integration_events import TRANSLATOR
from services.tracking.application.projections import DailyTally
from services.tracking.domain.billing import BillableClick, ClickBatch
from services.tracking.domain.references import EnrollmentRef, PartnerRef
from services.tracking.infrastructure.cache_metrics import replica_cache_state
from services.tracking.infrastructure.revenue import joined
from services.tracking.infrastructure.unit_of_work import SqlTrackingUnitOfWork
from tests.support import migrated
from tests.unit.tracking.builders import campaign, terms

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
IDS = {name: str(uuid.uuid4()) for name in ("enrollment", "campaign", "brand", "partner")}


@pytest.fixture
def database(make_db_uri, db_kind):
    database = Database(migrated("tracking", make_db_uri(db_kind, "tracking")))
    yield database
    database.dispose()


def unit_of_work(database):
    metadata = MetaData()
    return SqlTrackingUnitOfWork(database,
                                outbox=OutboxStore(outbox_table(metadata)),
                                inbox=InboxStore(inbox_table(metadata)), translator=TRANSLATOR)


@pytest.fixture
def uow(database):
    return unit_of_work(database)


def insert_click(uow, click_id):
    uow.connection.execute(text(
        "INSERT INTO clicks (id, referral_code, enrollment_id, campaign_id, brand_id, "
        "partner_id, ip, user_agent, occurred_at, recorded_at, billable) VALUES "
        "(:id, 'C', :enrollment, :campaign, :brand, :partner, '1.1.1.1', 'UA', :at, :at, "
        ":billable)"), {"id": click_id, "at": NOW.replace(tzinfo=None), "billable": True, **IDS})


def test_a_click_already_batched_makes_a_second_batch_fail(uow):
    with uow:
        for click_id in ("k1", "k2"):
            insert_click(uow, click_id)
        uow.commit()
    clicks = [BillableClick(click_id=c, brand_id=IDS["brand"], campaign_id=IDS["campaign"],
                            partner_id=IDS["partner"], enrollment_id=IDS["enrollment"],
                            occurred_at=NOW, terms_version=1)
              for c in ("k1", "k2")]
    with uow:
        assert {c.click_id for c in uow.clicks.unbilled(10)} == {"k1", "k2"}
        uow.click_batches.add(ClickBatch.of(clicks[:1], terms(model="CPC"), NOW))
        uow.commit()
    with uow:
        assert [c.click_id for c in uow.clicks.unbilled(10)] == ["k2"]
        with pytest.raises(ConcurrencyConflict):
            uow.click_batches.add(ClickBatch.of(clicks, terms(model="CPC"), NOW))
    with uow.read() as conn:
        assert conn.execute(text(
            "SELECT count(DISTINCT cpc_batch_id) FROM clicks")).scalar() == 1


def test_a_replica_keeps_its_newest_revision(uow):
    def replicate(status, revision):
        with uow:
            uow.references.replicate_partner(
                PartnerRef(partner_id="p1", email="p@x.example", status=status), revision, NOW)
            uow.commit()

    replicate("ACTIVE", 3)
    replicate("SUSPENDED", 5)
    replicate("ACTIVE", 4)
    with uow.read() as conn:
        assert conn.execute(text("SELECT status, revision FROM partners")).one() == (
            "SUSPENDED", 5)


# --- the replicas' cache -------------------------------------------------------------------
@pytest.fixture
def other_instance(database):
    """A second instance of the service on the same database: its own engines, its own
    cache (a process of its own, as far as the cache can tell)."""
    other = Database(database.url.render_as_string(hide_password=False))
    yield unit_of_work(other)
    other.dispose()


@pytest.fixture
def replica_reads(database):
    """The statements that read the referral targets' and IPs' replica tables."""
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and any(
                f"FROM {table}" in statement for table in ("enrollments", "partner_ips")):
            seen.append(statement)

    for engine in {database.write_engine, database.read_engine}:
        event.listen(engine, "before_cursor_execute", count)
    yield seen
    for engine in {database.write_engine, database.read_engine}:
        event.remove(engine, "before_cursor_execute", count)


def enroll(uow, *, status="ACTIVE", revision=1, code="CACHED1"):
    ref = dataclasses.replace(campaign(brand_id=IDS["brand"]), campaign_id=IDS["campaign"])
    enrollment = EnrollmentRef(enrollment_id=IDS["enrollment"], referral_code=code,
                               campaign_id=ref.campaign_id, brand_id=IDS["brand"],
                               partner_id=IDS["partner"], status=status)
    with uow:
        if revision == 1:
            uow.references.replicate_campaign(ref, 1, NOW)
            uow.references.add_terms(ref.campaign_id, [terms()])
        uow.references.replicate_enrollment(enrollment, revision, NOW)
        uow.commit()


def status_of(uow, code="CACHED1"):
    with uow:
        target = uow.references.targets_by_code([code]).get(code)
        by_enrollment = uow.references.target_by_enrollment(IDS["enrollment"])
    assert target == by_enrollment
    return target.enrollment.status if target else None


def test_a_target_is_read_once_while_its_replica_stays_the_same(uow, replica_reads):
    enroll(uow)
    replica_reads.clear()  # replicating reads the code it replaces: not a target's read
    assert status_of(uow) == "ACTIVE"
    first = len(replica_reads)
    assert first == 2  # by code, by enrollment
    for _ in range(3):
        assert status_of(uow) == "ACTIVE"
        with uow:
            assert uow.references.targets_by_code(["UNKNOWN"]) == {}  # not found: cached too
    assert len(replica_reads) == first + 1  # the unknown code, once


def test_the_cache_metrics_count_hits_and_misses_as_they_happen(uow):
    """What the metrics refresh reports: the look-ups since its last refresh (counters
    that only grow) and the entries held."""
    def sample(name, **labels):
        return REGISTRY.get_sample_value(name, {"service": "tracking", **labels}) or 0

    enroll(uow)
    replica_cache_state(uow.database)
    before = {outcome: sample("alpes_replica_cache_lookups_total", kind="targets",
                              outcome=outcome) for outcome in ("hit", "miss")}
    status_of(uow)  # two misses (by code, by enrollment), then read
    status_of(uow)  # two hits
    with uow:
        uow.references.targets_by_code(["UNKNOWN"])  # a miss, remembered as not found
    replica_cache_state(uow.database)
    replica_cache_state(uow.database)  # nothing new: nothing added twice
    assert sample("alpes_replica_cache_lookups_total", kind="targets",
                  outcome="miss") - before["miss"] == 3
    assert sample("alpes_replica_cache_lookups_total", kind="targets",
                  outcome="hit") - before["hit"] == 2
    assert sample("alpes_replica_cache_entries", kind="targets") == 3


def test_a_change_by_another_instance_is_seen_at_once(uow, other_instance, replica_reads):
    enroll(uow)
    assert status_of(uow) == "ACTIVE" and status_of(uow) == "ACTIVE"
    enroll(other_instance, status="REVOKED", revision=2)  # raises the generation
    assert status_of(uow) == "REVOKED"
    enroll(other_instance, status="ACTIVE", revision=1)  # an older revision: changes nothing
    assert status_of(uow) == "REVOKED"


def test_what_a_writing_transaction_reads_never_reaches_the_cache(uow, other_instance):
    enroll(uow)
    assert status_of(uow) == "ACTIVE"
    with other_instance:  # writes, reads its own write, then rolls back
        other_instance.references.replicate_enrollment(EnrollmentRef(
            enrollment_id=IDS["enrollment"], referral_code="CACHED1",
            campaign_id=IDS["campaign"], brand_id=IDS["brand"],
            partner_id=IDS["partner"], status="REVOKED"), 2, NOW)
        assert other_instance.references.targets_by_code(["CACHED1"])[
            "CACHED1"].enrollment.status == "REVOKED"
    assert status_of(other_instance) == "ACTIVE" and status_of(uow) == "ACTIVE"
    enroll(uow, status="ACTIVE", revision=2)  # the generation the rolled back write had
    assert status_of(other_instance) == "ACTIVE"


def test_a_partner_ip_added_anywhere_is_seen_at_once(uow, other_instance, replica_reads):
    def ips():
        with uow:
            return uow.references.partner_ips(IDS["partner"])

    assert ips() == frozenset() and ips() == frozenset()
    assert len(replica_reads) == 1
    with other_instance:
        other_instance.references.add_partner_ip(IDS["partner"], "10.0.0.1", NOW)
        other_instance.commit()
    assert ips() == {"10.0.0.1"}


def test_revenue_is_summed_exactly_in_sql(uow):
    day = NOW.date()
    for amount in ("0.10", "0.20", "1234567890123.01", "-0.01", "-0.0005", "0.0005"):
        with uow:
            uow.stats.add({("c1", "p1", day): DailyTally(conversions=1,
                                                          revenue=Decimal(amount))})
            uow.commit()
    with uow.read() as conn:
        for table in ("campaign_daily_stats", "partner_daily_stats"):
            units, parts, conversions = conn.execute(text(
                f"SELECT revenue_units, revenue_parts, conversions FROM {table}")).one()
            assert joined(units, parts) == Decimal("1234567890123.30") and conversions == 6


# --- retention -------------------------------------------------------------------------------
def stored_click(uow, click_id, at, *, billable=False, batch=None):
    uow.connection.execute(text(
        "INSERT INTO clicks (id, referral_code, enrollment_id, campaign_id, brand_id, "
        "partner_id, ip, user_agent, occurred_at, recorded_at, billable, cpc_batch_id) VALUES "
        "(:id, 'C', :enrollment, :campaign, :brand, :partner, '1.1.1.1', 'UA', :at, :at, "
        ":billable, :batch)"), {"id": click_id, "at": at.replace(tzinfo=None),
                                "billable": billable, "batch": batch, **IDS})


def test_clicks_past_their_retention_go_in_chunks_and_nothing_else_does(uow):
    """The purge walks the primary key below the cut-off's first version 7 id; the click's
    own time decides, and a billable click waits for its CPC batch."""
    from common.seedwork.domain.ids import time_ordered_uuid
    from services.tracking.application.commands import PurgeOldClicks
    from services.tracking.application.handlers import purge_old_clicks
    from services.tracking.application.settings import TrackingSettings

    retention = timedelta(days=400)
    old, recent = NOW - retention - timedelta(days=1), NOW - retention + timedelta(hours=1)
    minted = lambda at: time_ordered_uuid(  # noqa: E731
        (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000)
    gone = [minted(old) for _ in range(5)] + [minted(old - timedelta(days=30))]
    kept = {
        "recent": minted(recent),
        "billable, not batched yet": minted(old),
        "an id of another kind, recent": "00000000-0000-4000-8000-000000000001",
        "an id of another kind above the bound": "ffffffff-0000-4000-8000-000000000001",
    }
    with uow:
        for click_id in gone[:4]:
            stored_click(uow, click_id, old)
        stored_click(uow, gone[4], old, billable=True, batch=str(uuid.uuid4()))  # billed
        stored_click(uow, gone[5], old - timedelta(days=30))
        stored_click(uow, kept["recent"], recent)
        stored_click(uow, kept["billable, not batched yet"], old, billable=True)
        stored_click(uow, kept["an id of another kind, recent"], recent)
        stored_click(uow, kept["an id of another kind above the bound"], old)
        uow.commit()
    settings = TrackingSettings(click_retention=retention, click_purge_rows=4)
    assert purge_old_clicks(PurgeOldClicks(), uow, lambda: NOW, settings) == len(gone)
    with uow.read() as conn:
        left = set(conn.execute(text("SELECT id FROM clicks")).scalars())
    assert left == set(kept.values())
    assert purge_old_clicks(PurgeOldClicks(), uow, lambda: NOW, settings) == 0
    keep_all = TrackingSettings(click_retention=None)
    assert purge_old_clicks(PurgeOldClicks(), uow, lambda: NOW + retention, keep_all) == 0
