"""The process's snapshot of who subscribes to what: what it rules out, how long it is
trusted, what drops it -- and, through the use cases, that it never costs an event a
subscribed endpoint should get."""
import uuid

from services.webhooks.application import commands
from services.webhooks.application.subscriptions import SubscriptionCache, Subscriptions
from services.webhooks.domain.delivery import DeliveryStatus
from services.webhooks.domain.endpoint import Endpoint, Owner
from tests.unit.webhooks.fakes import T0, CountingLoader, FakeEndpoints, Monotonic, world
from tests.unit.webhooks.test_handlers import (
    BRAND_A,
    BRAND_B,
    PARTNER_A,
    commission_event,
    create,
    deliveries_of,
)


def subscriptions(*endpoints):
    return Subscriptions.of(endpoints)


# --- the snapshot ---------------------------------------------------------------------------
def test_it_rules_out_only_owners_without_an_endpoint_for_the_type():
    known = subscriptions(("brand", "a", ["commission.created", "payout.paid"]),
                          ("partner", "p", ["payout.paid"]))
    assert known.may_reach("commission.created", [("brand", "a")])
    assert known.may_reach("commission.created", [("brand", "b"), ("brand", "a")])
    assert not known.may_reach("commission.created", [("brand", "b"), ("partner", "p")])
    assert not known.may_reach("conversion.attributed", [("brand", "a")])
    assert not known.may_reach("commission.created", [])


def test_owners_found_later_in_the_replicas_count_any_owner_of_their_type():
    known = subscriptions(("brand", "a", ["payout.paid"]), ("partner", "p", ["payout.failed"]))
    assert known.may_reach("payout.paid", [("partner", "q")], any_of_type="brand")
    assert not known.may_reach("payout.failed", [("partner", "q")], any_of_type="brand")
    assert known.may_reach("payout.failed", [("partner", "p")], any_of_type="brand")


# --- its age and what drops it ----------------------------------------------------------------
def cache(max_age=1.0, endpoints=None):
    endpoints = endpoints if endpoints is not None else FakeEndpoints()
    loader, clock = CountingLoader(endpoints), Monotonic()
    return SubscriptionCache(loader, max_age=max_age, monotonic=clock), loader, clock, endpoints


def endpoint(owner_id, *types, owner_type="brand"):
    return Endpoint.create(owner=Owner(owner_type, owner_id), url="https://hooks.example.com/",
                           event_types=types, description="", now=T0)


def test_it_is_read_once_then_trusted_for_max_age_then_read_again():
    subs, loader, clock, endpoints = cache(max_age=1.0)
    assert not subs.current().may_reach("commission.created", [("brand", BRAND_A)])
    endpoints.add(endpoint(BRAND_A, "commission.created"))  # another instance's commit
    clock.now += 0.99
    assert not subs.current().may_reach("commission.created", [("brand", BRAND_A)])
    assert loader.loads == 1
    clock.now += 0.01  # max_age after the first read began: read again
    assert subs.current().may_reach("commission.created", [("brand", BRAND_A)])
    assert loader.loads == 2


def test_a_change_made_here_drops_it_at_once():
    subs, loader, _, endpoints = cache(max_age=60)
    subs.current()
    endpoints.add(endpoint(BRAND_A, "commission.created"))
    subs.changed()
    assert subs.current().may_reach("commission.created", [("brand", BRAND_A)])
    assert loader.loads == 2


def test_a_read_that_began_before_a_change_here_is_not_kept():
    endpoints = FakeEndpoints()

    class ChangedMeanwhile(CountingLoader):
        def __call__(self):
            found = super().__call__()
            if self.loads == 1:  # the change commits while this read runs
                endpoints.add(endpoint(BRAND_A, "commission.created"))
                subs.changed()
            return found

    loader = ChangedMeanwhile(endpoints)
    subs = SubscriptionCache(loader, max_age=60, monotonic=Monotonic())
    assert subs.current() is None  # unknown: the caller asks the database
    assert subs.current().may_reach("commission.created", [("brand", BRAND_A)])
    assert loader.loads == 2


def test_a_failed_read_is_unknown_and_tried_again_once_max_age_has_passed():
    subs, loader, clock, _ = cache(max_age=1.0)
    loader.fail = True
    assert subs.current() is None
    loader.fail = False
    clock.now += 0.5
    assert subs.current() is None and loader.loads == 1  # the database is not hammered
    clock.now += 0.5
    assert subs.current() is not None and loader.loads == 2


def test_max_age_zero_never_reads_and_always_says_unknown():
    subs, loader, _, _ = cache(max_age=0)
    assert subs.current() is None and subs.current() is None
    assert loader.loads == 0


# --- through the use cases ----------------------------------------------------------------------
def warm(bus):
    """An event nobody receives: the snapshot is read (and now says "nobody")."""
    assert bus.handle(commission_event(BRAND_B, PARTNER_A, "commission.approved")) == 0


def test_an_endpoint_created_then_an_event_right_after_is_delivered():
    bus, uow, _, _ = world()
    warm(bus)
    a = create(bus, "brand", BRAND_A, "commission.approved")["endpoint_id"]
    assert bus.handle(commission_event(BRAND_A, PARTNER_A, "commission.approved")) == 1
    assert len(deliveries_of(uow, a)) == 1


def test_an_event_type_added_by_an_update_is_delivered_right_after():
    bus, uow, _, _ = world()
    a = create(bus, "brand", BRAND_A, "commission.created")["endpoint_id"]
    warm(bus)
    bus.handle(commands.UpdateEndpoint(endpoint_id=a, event_types=("commission.approved",)))
    assert bus.handle(commission_event(BRAND_A, PARTNER_A, "commission.approved")) == 1


def test_a_disabled_endpoints_events_are_still_recorded_skipped():
    bus, uow, _, _ = world()
    a = create(bus, "brand", BRAND_A, "commission.approved")["endpoint_id"]
    bus.handle(commands.DisableEndpoint(endpoint_id=a))
    warm(bus)
    assert bus.handle(commission_event(BRAND_A, PARTNER_A, "commission.approved")) == 1
    [skipped] = deliveries_of(uow, a)
    assert skipped.status is DeliveryStatus.SKIPPED


def test_an_event_nobody_could_receive_touches_nothing_not_even_a_look():
    bus, uow, _, _ = world()
    create(bus, "brand", BRAND_B, "commission.approved")
    looks = []
    of_owners = uow.endpoints.of_owners
    uow.endpoints.of_owners = lambda owners: looks.append(owners) or of_owners(owners)
    commits = uow.commits
    assert bus.handle(commission_event(BRAND_A, PARTNER_A, "commission.approved")) == 0
    assert looks == [] and uow.commits == commits
    assert bus.handle(commission_event(BRAND_B, PARTNER_A, "commission.approved")) == 1
    assert len(looks) == 2  # the look, then the transaction's


def test_a_commission_nobody_receives_writes_nothing_and_its_payout_still_reaches_its_brand():
    """No replica is kept of commissions: the payout's event names their brands."""
    bus, uow, _, _ = world()
    a = create(bus, "brand", BRAND_A, "payout.paid")["endpoint_id"]
    writer = bus.dependencies["replica_writer"]
    commits = uow.commits
    created = commission_event(BRAND_A, PARTNER_A)
    assert bus.handle(created) == 0
    assert uow.commits == commits and writer.writes == 0
    ids = (created.data["commission_id"],)
    assert bus.handle(commands.FanOut(
        event_id=str(uuid.uuid4()), event_type="payout.paid", occurred_at=T0,
        data={"payout_id": "p", "commission_ids": list(ids)}, partner_id=PARTNER_A,
        commission_ids=ids, commission_brands=((ids[0], BRAND_A),))) == 1
    assert len(deliveries_of(uow, a)) == 1


def test_another_instances_endpoint_is_seen_once_max_age_has_passed():
    clock = Monotonic()
    bus, uow, _, _ = world()
    subs = SubscriptionCache(CountingLoader(uow.endpoints), max_age=1.0, monotonic=clock)
    bus.dependencies["subscriptions"] = subs
    warm(bus)
    other = endpoint(BRAND_A, "commission.approved")
    uow.endpoints.add(other)  # committed by another instance: this one was not told
    clock.now += 1.0
    assert bus.handle(commission_event(BRAND_A, PARTNER_A, "commission.approved")) == 1
    assert len(deliveries_of(uow, other.id)) == 1


def test_when_the_snapshot_cannot_be_read_the_database_decides():
    bus, uow, _, _ = world()
    a = create(bus, "brand", BRAND_A, "commission.approved")["endpoint_id"]
    bus.dependencies["subscriptions"]._load.fail = True
    assert bus.handle(commission_event(BRAND_A, PARTNER_A, "commission.approved")) == 1
    assert bus.handle(commission_event(BRAND_B, PARTNER_A, "commission.approved")) == 0
    assert len(deliveries_of(uow, a)) == 1
