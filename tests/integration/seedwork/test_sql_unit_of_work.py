"""The SQLAlchemy unit of work, outbox and inbox on SQLite and PostgreSQL."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import eventlet
import pytest
from sqlalchemy import func, select

from common.seedwork.application.integration import MessageContext
from common.seedwork.domain.clock import utcnow
from common.seedwork.errors import AlreadyProcessed, ConcurrencyConflict
from common.seedwork.infrastructure.database import Database
from tests.integration.seedwork.things import (
    INBOX,
    OUTBOX,
    TRANSLATOR,
    Thing,
    ThingsUnitOfWork,
    inbox,
    metadata,
    outbox,
    things,
)


@pytest.fixture
def database(db_kind, make_db_uri):
    database = Database(make_db_uri(db_kind, "things"))
    metadata.create_all(database.write_engine)  # test-only schema
    yield database
    database.dispose()


def make_uow(database, **kwargs):
    return ThingsUnitOfWork(database, outbox=OUTBOX, inbox=INBOX, translator=TRANSLATOR,
                            **kwargs)


def count(database, table, *where):
    with database.reader() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()


def test_nothing_is_written_unless_committed(database):
    with make_uow(database) as uow:
        uow.things.add(Thing("t1", "a"))
    assert count(database, things) == 0
    with pytest.raises(RuntimeError):
        with make_uow(database) as uow:
            uow.things.add(Thing("t1", "a"))
            uow.commit()
            uow.things.add(Thing("t2", "b"))
            raise RuntimeError("after the first commit")
    assert count(database, things) == 1


def test_peek_reads_committed_data_without_the_write_lock_or_the_inbox(database):
    with make_uow(database) as uow:
        uow.things.add(Thing("t1", "a"))
        uow.commit()
    writer = make_uow(database)
    with writer:  # another transaction holds the write lock (SQLite: BEGIN IMMEDIATE)
        writer.things.add(Thing("t2", "b"))
        looker = make_uow(database, inbox_key=("consumer", "event-1"))
        with eventlet.Timeout(5), looker.peek():  # would wait for the lock if it took it
            assert looker.things.get("t1").name == "a"
            assert looker.things.get("t2") is None  # not committed yet
        writer.commit()
    assert count(database, inbox) == 0  # the looker claimed nothing
    with looker:  # and its event is still to be processed
        assert looker.things.get("t2").name == "b"
    assert count(database, inbox) == 0  # not committed: still unclaimed


def test_events_and_state_commit_together(database):
    uow = make_uow(database, context=MessageContext("corr", "cause"))
    heard = []
    uow.after_commit.append(heard.extend)
    with uow:
        thing = Thing("t1", "a", Decimal("10.125"))
        uow.things.add(thing)
        thing.rename("b")
        uow.commit()
    assert [m.type for m in heard] == ["thing_renamed"]
    with database.reader() as conn:
        row = conn.execute(select(outbox)).one()
    assert row.event_id == heard[0].event_id and row.published_at is None
    assert row.message["payload"] == {"thing_id": "t1", "name": "b"}
    assert row.message["correlation_id"] == "corr"


def test_a_failed_commit_leaves_no_outbox_row(database):
    with pytest.raises(RuntimeError):
        with make_uow(database) as uow:
            thing = Thing("t1", "a")
            uow.things.add(thing)
            thing.rename("b")
            raise RuntimeError("boom")
    assert count(database, outbox) == 0 and count(database, things) == 0


def test_decimals_and_times_round_trip_exactly(database):
    moment = datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
    with make_uow(database) as uow:
        uow.things.add(Thing("t1", "a", Decimal("123456789012.3456789"), moment))
        uow.commit()
    with make_uow(database) as uow:
        thing = uow.things.get("t1")
    assert thing.amount == Decimal("123456789012.3456789")
    assert thing.seen_at == moment


def test_optimistic_concurrency(database):
    with make_uow(database) as uow:
        uow.things.add(Thing("t1", "a"))
        uow.commit()
    with make_uow(database) as uow:
        first = uow.things.get("t1")
    with make_uow(database) as uow:
        second = uow.things.get("t1")
        second.rename("second")
        uow.things.save(second)
        uow.commit()
    with pytest.raises(ConcurrencyConflict):
        with make_uow(database) as uow:
            first.rename("first")
            uow.things.save(first)
            uow.commit()
    with make_uow(database) as uow:
        assert uow.things.get("t1").name == "second"


def test_inbox_applies_an_event_once(database):
    def apply(event_id):
        with make_uow(database, inbox_key=("things.on_x", event_id)) as uow:
            uow.things.add(Thing(f"t-{event_id}", "from event"))
            uow.commit()

    apply("e1")
    with pytest.raises(AlreadyProcessed):
        apply("e1")
    assert count(database, things) == 1 and count(database, inbox) == 1


def test_concurrent_duplicates_apply_once(database):
    """Ten green threads deliver the same event at once: exactly one effect."""
    results = []

    def deliver():
        try:
            with make_uow(database, inbox_key=("things.on_x", "same")) as uow:
                existing = uow.things.get("dup")
                if existing is None:
                    uow.things.add(Thing("dup", "once"))
                eventlet.sleep(0.01)  # widen the race window
                uow.commit()
            results.append("applied")
        except AlreadyProcessed:
            results.append("duplicate")

    pool = eventlet.GreenPool()
    for _ in range(10):
        pool.spawn(deliver)
    pool.waitall()
    assert results.count("applied") == 1 and results.count("duplicate") == 9
    assert count(database, things) == 1


def test_outbox_leases_share_rows_between_two_sweepers(database):
    with make_uow(database) as uow:
        for n in range(10):
            thing = Thing(f"t{n}", "a")
            uow.things.add(thing)
            thing.rename(f"n{n}")
        uow.commit()
    later = utcnow() + timedelta(seconds=1)
    with database.transaction() as conn:
        first = OUTBOX.claim_unpublished(conn, owner="A", older_than=later,
                                         lease=timedelta(seconds=30), limit=6)
    with database.transaction() as conn:
        second = OUTBOX.claim_unpublished(conn, owner="B", older_than=later,
                                          lease=timedelta(seconds=30), limit=6)
    ids_a, ids_b = {m.event_id for m in first}, {m.event_id for m in second}
    assert len(ids_a) == 6 and len(ids_b) == 4 and not ids_a & ids_b
    with database.transaction() as conn:
        assert OUTBOX.mark_published(conn, ids_a | ids_b) == 10
        assert OUTBOX.count_unpublished(conn) == 0
        assert OUTBOX.purge_published(conn, utcnow() + timedelta(seconds=1)) == 10
