"""The delivery driver's bounds, on fakes: at most ``max_in_flight`` workers, at most
``max_in_flight_per_endpoint`` per endpoint (shared with the other instances' leases),
the next ones leased ahead and started as slots free up -- a slow endpoint never takes
every slot."""
import collections

from services.webhooks.application.settings import WebhooksSettings
from services.webhooks.dispatcher import DeliveryDispatcher
from services.webhooks.infrastructure.leases import Lease


class FakeLeases:
    """Due deliveries per endpoint; leases them by the real one's rule: an endpoint only
    this runner holds leases of may have up to ``ahead`` of them, one another runner
    holds leases of (``others``) at most ``per_endpoint`` in all; none of the
    ``exclude`` endpoints. ``done`` ends one of this runner's leases."""

    def __init__(self, due: dict[str, int]):
        self.due = {endpoint: [f"{endpoint}-{n}" for n in range(count)]
                    for endpoint, count in due.items()}
        self.mine: collections.Counter[str] = collections.Counter()
        self.others: collections.Counter[str] = collections.Counter()
        self.calls = 0
        self.released = []

    def _room(self, endpoint, per_endpoint, ahead):
        bound = per_endpoint if self.others[endpoint] else ahead
        return bound - self.mine[endpoint] - self.others[endpoint]

    def any_due(self, now, *, per_endpoint, ahead, exclude=()):
        return any(ids and endpoint not in exclude
                   and self._room(endpoint, per_endpoint, ahead) > 0
                   for endpoint, ids in self.due.items())

    def lease(self, now, *, limit, lease, per_endpoint, ahead, exclude=()):
        self.calls += 1
        taken = []
        for endpoint, ids in self.due.items():
            while (ids and endpoint not in exclude and len(taken) < limit
                   and self._room(endpoint, per_endpoint, ahead) > 0):
                taken.append(Lease(ids.pop(0), endpoint))
                self.mine[endpoint] += 1
        return taken

    def done(self, lease):
        self.mine[lease.endpoint_id] -= 1

    def release(self, ids):
        self.released += ids


class FakeContainer:
    def __init__(self):
        self.running = []

    def spawn_worker(self, entrypoint, args, kwargs, handle_result):
        self.running.append((args[0], handle_result))


def dispatcher(due, **settings):
    driver = DeliveryDispatcher()
    driver.settings = WebhooksSettings(**settings)
    driver.leases = FakeLeases(due)
    driver.container = FakeContainer()
    driver._running = True
    return driver


def finish(driver, endpoint):
    for n, (lease, done) in enumerate(driver.container.running):
        if lease.endpoint_id == endpoint:
            driver.container.running.pop(n)
            driver.leases.done(lease)
            done(None, None, None)
            return lease


def running(driver, endpoint):
    return sum(1 for lease, _ in driver.container.running if lease.endpoint_id == endpoint)


def test_a_slow_endpoint_holds_its_bound_and_the_others_get_the_rest():
    driver = dispatcher({"slow": 100, "b": 3, "c": 3}, max_in_flight=8,
                        max_in_flight_per_endpoint=3)
    driver.dispatch_due()
    assert running(driver, "slow") == 3 and running(driver, "b") == 3
    assert running(driver, "c") == 2 and driver.in_flight == 8
    assert {lease.endpoint_id for lease in driver._ready} <= {"slow", "c"}


def test_a_finished_attempt_starts_the_next_ready_one_and_leases_in_batches():
    driver = dispatcher({"only": 20}, max_in_flight=16, max_in_flight_per_endpoint=4)
    driver.dispatch_due()
    assert driver.in_flight == 4 and len(driver._ready) == 4
    calls = driver.leases.calls
    for _ in range(3):
        finish(driver, "only")
        driver.dispatch_due()
        assert driver.in_flight == 4
    assert driver.leases.calls == calls  # ready ones were in hand: no lease
    finish(driver, "only")
    driver.dispatch_due()
    assert driver.leases.calls == calls + 1 and driver.in_flight == 4
    started = [lease.delivery_id for lease, _ in driver.container.running]
    assert started == ["only-4", "only-5", "only-6", "only-7"]


def test_while_another_instance_holds_an_endpoints_leases_they_share_its_bound():
    driver = dispatcher({"shared": 20, "quiet": 2}, max_in_flight=16,
                        max_in_flight_per_endpoint=4)
    driver.leases.others["shared"] = 3  # another instance is sending three
    driver.dispatch_due()
    assert running(driver, "shared") == 1 and running(driver, "quiet") == 2
    assert not any(lease.endpoint_id == "shared" for lease in driver._ready)
    driver.leases.others["shared"] = 0  # its attempts are over
    finish(driver, "shared")
    driver.dispatch_due()
    assert running(driver, "shared") == 4  # and four more leased ahead, its alone now
    assert sum(lease.endpoint_id == "shared" for lease in driver._ready) == 4


def test_a_graceful_stop_gives_back_what_never_started():
    driver = dispatcher({"only": 20}, max_in_flight=2, max_in_flight_per_endpoint=2)
    driver.dispatch_due()
    assert len(driver._ready) == 2
    driver._thread = None
    driver.stop()
    assert driver.leases.released == ["only-2", "only-3"]
