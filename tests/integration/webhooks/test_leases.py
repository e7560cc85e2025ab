"""Leases on the real database, SQLite and PostgreSQL: an endpoint's leases are either
one runner's (up to ``ahead``: it sends at most ``per_endpoint`` of them at once) or at
most ``per_endpoint`` over every runner (instance) sharing the table; a dead runner's
slots free up when its leases run out; runners leasing at the same instant never break
that (separate processes, started together)."""
from __future__ import annotations

import collections
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update

from common.seedwork.domain.clock import utcnow
from common.seedwork.infrastructure.database import Database
from services.webhooks.infrastructure.leases import DeliveryLeases
from services.webhooks.infrastructure.tables import deliveries, endpoints
from tests.support import migrated

ROOT = Path(__file__).resolve().parents[3]
LEASE = timedelta(seconds=30)
BOUND = 3
AHEAD = 6
RACERS = 6
DURATION = 1.0  # seconds each racer leases, looks and gives back, again and again
BOUNDS = {"per_endpoint": BOUND, "ahead": AHEAD}


@pytest.fixture
def uri(make_db_uri, db_kind):
    return migrated("webhooks", make_db_uri(db_kind, "webhooks"))


@pytest.fixture
def db(uri):
    database = Database(uri)
    yield database
    database.dispose()


def add_endpoint(db: Database, due: int) -> str:
    """An enabled endpoint with ``due`` pending deliveries due a second ago."""
    endpoint_id, now = str(uuid.uuid4()), utcnow()
    with db.transaction() as conn:
        conn.execute(insert(endpoints).values(
            id=endpoint_id, owner_type="brand", owner_id=str(uuid.uuid4()),
            url="https://example.com/hook", description="", event_types=["*"],
            status="ENABLED", secret="whsec_x", consecutive_failures=0, created_at=now,
            updated_at=now, version=1))
        if due:
            conn.execute(insert(deliveries), [dict(
                id=str(uuid.uuid4()), endpoint_id=endpoint_id, event_id=str(uuid.uuid4()),
                event_type="commission_created", body="{}", status="PENDING", attempts=0,
                step=0, next_attempt_at=now - timedelta(seconds=1), created_at=now,
                occurred_at=now, updated_at=now, version=1) for _ in range(due)])
    return endpoint_id


def end_lease(db: Database, lease) -> None:
    """What recording an attempt does to its delivery."""
    with db.transaction() as conn:
        conn.execute(update(deliveries).where(deliveries.c.id == lease.delivery_id)
                     .values(status="DELIVERED", lease_owner=None, lease_until=None))


def leased(db: Database) -> collections.Counter:
    """Live leases per endpoint, as stored."""
    with db.reader() as conn:
        rows = conn.execute(select(deliveries.c.endpoint_id)
                            .where(deliveries.c.lease_until >= utcnow()))
        return collections.Counter(row.endpoint_id for row in rows)


def test_a_runner_alone_leases_ahead_and_others_wait_for_the_endpoint(db):
    slow, other = add_endpoint(db, due=10), add_endpoint(db, due=2)
    first, second = DeliveryLeases(db, "runner-a"), DeliveryLeases(db, "runner-b")
    now = utcnow()

    taken = first.lease(now, limit=10, lease=LEASE, **BOUNDS)
    assert collections.Counter(lease.endpoint_id for lease in taken) == {slow: 6, other: 2}
    assert not second.any_due(now, **BOUNDS)  # slow is first's, other has none left
    assert second.lease(now, limit=10, lease=LEASE, **BOUNDS) == []

    for lease in [lease for lease in taken if lease.endpoint_id == slow][:3]:
        end_lease(db, lease)  # first sent three of slow's: three leases left, its own
    assert second.lease(now, limit=10, lease=LEASE, **BOUNDS) == []
    assert len(first.lease(now, limit=10, lease=LEASE, **BOUNDS)) == 3  # six in hand again
    assert first.lease(now, limit=10, lease=LEASE, **BOUNDS) == []  # six: ahead's full


def test_runners_sharing_an_endpoint_hold_at_most_the_bound_between_them(db):
    slow = add_endpoint(db, due=10)
    first, second = DeliveryLeases(db, "runner-a"), DeliveryLeases(db, "runner-b")
    now = utcnow()
    taken = first.lease(now, limit=1, lease=LEASE, **BOUNDS)
    assert len(taken) == 1

    # shared now: three in all
    assert len(second.lease(now, limit=10, lease=LEASE, **BOUNDS)) == BOUND - 1
    assert first.lease(now, limit=10, lease=LEASE, **BOUNDS) == []  # no longer alone: no ahead
    end_lease(db, taken[0])  # second holds slow's leases alone now: it leases ahead
    assert len(second.lease(now, limit=10, lease=LEASE, **BOUNDS)) == AHEAD - (BOUND - 1)
    assert first.lease(now, limit=10, lease=LEASE, **BOUNDS) == []
    assert leased(db) == {slow: AHEAD}


def test_a_dead_runners_slots_free_up_when_its_leases_run_out(db):
    slow = add_endpoint(db, due=8)
    now = utcnow()
    assert len(DeliveryLeases(db, "dies").lease(now, limit=8, lease=LEASE, **BOUNDS)) == AHEAD
    survivor = DeliveryLeases(db, "survivor")
    assert survivor.lease(now, limit=8, lease=LEASE, **BOUNDS) == []
    later = now + LEASE + timedelta(seconds=1)
    taken = survivor.lease(later, limit=8, lease=LEASE, **BOUNDS)
    assert len(taken) == AHEAD and {lease.endpoint_id for lease in taken} == {slow}


def test_runners_leasing_at_the_same_time_never_exceed_the_bound(db, uri):
    """Each racer is its own process (its own connections). Once all are connected, told
    to go at once, for a second each leases, reads how many live leases each endpoint
    has, and gives its own back, again and again: every committed state must hold the
    bound (with the holder's lease, the racers share what is left). Judged on what the
    racers saw, so a slow, loaded machine makes fewer rounds (never fewer than three),
    never a false failure."""
    endpoint_ids = [add_endpoint(db, due=20) for _ in range(2)]
    holder = DeliveryLeases(db, "holder")  # holds one of each: the racers share the bound
    for endpoint_id in endpoint_ids:
        others = [other for other in endpoint_ids if other != endpoint_id]
        assert len(holder.lease(utcnow(), limit=1, lease=LEASE, exclude=others,
                                **BOUNDS)) == 1
    racers = [subprocess.Popen([sys.executable, "-c", RACER, uri, f"racer-{n}"], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
              for n in range(RACERS)]
    # a start barrier, not a start time: a loaded machine's imports can take seconds
    assert [racer.stdout.readline() for racer in racers] == ["ready\n"] * RACERS
    for racer in racers:
        racer.stdin.write("go\n")
        racer.stdin.flush()
    results = [racer.communicate(timeout=60) for racer in racers]
    assert all(racer.returncode == 0 for racer in racers), [err for _, err in results]
    seen = [tuple(map(int, out.split())) for out, _ in results]  # (most live, leased)
    assert 2 <= max(most for most, _ in seen) <= BOUND
    assert sum(taken for _, taken in seen) > 0
    assert leased(db) == {endpoint_id: 1 for endpoint_id in endpoint_ids}  # the holder's


RACER = f"""
import collections, sys, time
from sqlalchemy import select
from common.seedwork.domain.clock import utcnow
from common.seedwork.infrastructure.database import Database
from services.webhooks.infrastructure.leases import DeliveryLeases
from services.webhooks.infrastructure.tables import deliveries
from datetime import timedelta
uri, owner = sys.argv[1], sys.argv[2]
database = Database(uri)
leases = DeliveryLeases(database, owner)
leases.any_due(utcnow(), per_endpoint={BOUND}, ahead={AHEAD})  # connected before the start
live = select(deliveries.c.endpoint_id).where(deliveries.c.lease_until >= utcnow())
most = taken = rounds = 0
print("ready", flush=True)
sys.stdin.readline()  # go
end = time.time() + {DURATION}
while time.time() < end or rounds < 3:
    rounds += 1
    mine = leases.lease(utcnow(), limit=16, lease=timedelta(seconds=30), per_endpoint={BOUND},
                        ahead={AHEAD})
    taken += len(mine)
    with database.reader() as conn:
        counts = collections.Counter(row.endpoint_id for row in conn.execute(live))
    most = max([most, *counts.values()])
    leases.release([lease.delivery_id for lease in mine])
print(most, taken)
"""
