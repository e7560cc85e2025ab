"""Group commit: concurrent items share one round trip; each gets its own result."""
import time

import eventlet
import pytest

from common.seedwork.errors import NotFound, ServiceUnavailable
from services.bff.batching import Batcher


class Remote:
    """A round trip that takes a moment (the next batch fills meanwhile)."""

    def __init__(self, fail: Exception | None = None):
        self.batches: list[list] = []
        self.fail = fail

    def send(self, items):
        self.batches.append(list(items))
        eventlet.sleep(0.01)
        if self.fail:
            raise self.fail
        return [NotFound() if item == "nope" else f"done-{item}" for item in items]


def run_all(batcher, remote, items):
    pool = eventlet.GreenPool()
    return list(pool.imap(lambda item: batcher.submit(item, remote.send), items))


def test_items_arriving_during_a_round_trip_share_the_next_one():
    remote, batcher = Remote(), Batcher(max_batch=50, max_in_flight=1)
    assert run_all(batcher, remote, range(10)) == [f"done-{n}" for n in range(10)]
    assert [len(batch) for batch in remote.batches] == [1, 9]  # the first went at once


def test_a_full_batch_closes_and_the_next_one_fills():
    remote, batcher = Remote(), Batcher(max_batch=3, max_in_flight=1)
    run_all(batcher, remote, range(7))
    assert [len(batch) for batch in remote.batches] == [1, 3, 3]


def test_two_batches_in_flight_at_once():
    remote, batcher = Remote(), Batcher(max_batch=50, max_in_flight=2)
    run_all(batcher, remote, range(10))
    assert [len(batch) for batch in remote.batches][:2] == [1, 1]  # both slots at once


def test_an_item_refused_fails_only_its_own_caller():
    remote, batcher = Remote(), Batcher(max_batch=10, max_in_flight=1)
    pool = eventlet.GreenPool()
    first = pool.spawn(batcher.submit, "a", remote.send)
    bad = pool.spawn(batcher.submit, "nope", remote.send)
    good = pool.spawn(batcher.submit, "b", remote.send)
    assert first.wait() == "done-a" and good.wait() == "done-b"
    with pytest.raises(NotFound):
        bad.wait()
    assert [len(b) for b in remote.batches] == [1, 2]


def test_a_failed_round_trip_fails_every_item_of_its_batch():
    remote = Remote(fail=ServiceUnavailable("did not answer"))
    batcher = Batcher(max_batch=10, max_in_flight=1)
    pool = eventlet.GreenPool()
    waiting = [pool.spawn(batcher.submit, n, remote.send) for n in range(3)]
    for green in waiting:
        with pytest.raises(ServiceUnavailable):
            green.wait()


def test_without_batching_each_item_is_its_own_round_trip():
    remote, batcher = Remote(), Batcher(max_batch=1)
    assert batcher.submit(1, remote.send) == "done-1"
    assert remote.batches == [[1]]


def test_a_batch_answered_with_the_wrong_count_fails_rather_than_misassigns():
    batcher = Batcher(max_batch=10, max_in_flight=1)
    with pytest.raises(RuntimeError):
        batcher.submit("a", lambda items: [])


def test_sizes_below_one_are_refused():
    with pytest.raises(ValueError):
        Batcher(max_batch=0)


def test_under_load_a_batch_lingers_for_company_a_lone_item_never_does():
    remote, batcher = Remote(), Batcher(max_batch=50, max_in_flight=1, linger=0.05)
    started = time.monotonic()
    assert batcher.submit("alone", remote.send) == "done-alone"
    assert time.monotonic() - started < 0.04  # no load: sent at once
    pool = eventlet.GreenPool()
    first = [pool.spawn(batcher.submit, n, remote.send) for n in range(3)]  # now: load
    [green.wait() for green in first]
    late = [eventlet.spawn_after(0.02 * n, batcher.submit, f"late{n}", remote.send)
            for n in range(3)]
    [green.wait() for green in late]
    assert [len(b) for b in remote.batches] == [1, 1, 2, 3]  # the last lingered: all three


def test_a_lingering_batch_goes_as_soon_as_it_is_full():
    remote, batcher = Remote(), Batcher(max_batch=2, max_in_flight=1, linger=5)
    batcher._busy = True
    started = time.monotonic()
    pool = eventlet.GreenPool()
    list(pool.imap(lambda n: batcher.submit(n, remote.send), range(2)))
    assert time.monotonic() - started < 1
