"""The webhooks service container on SQLite and PostgreSQL, events from the broker, real
HTTP receivers on 127.0.0.1 (signatures checked with the ``standardwebhooks`` package),
the retry schedule shortened by configuration."""
from __future__ import annotations

import ipaddress
import time
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import select, update

from common.nameko.config import db_uri
from common.seedwork.errors import BusinessRuleViolation, NotFound, ValidationError
from common.seedwork.infrastructure.database import Database
from services.webhooks.domain import catalogue
from services.webhooks.infrastructure.tables import endpoints
from services.webhooks.service import WebhooksService, message_bus
from tests.integration.webhooks.world import (
    KEY_1,
    KEY_2,
    commission,
    conversion,
    enrollment,
    payload,
    publish,
    webhooks_config,
)
from tests.support import wait_for
from tests.webhook_receiver import Receiver, verifies

BRAND_A, BRAND_B = str(uuid.uuid4()), str(uuid.uuid4())


@pytest.fixture
def start(rabbit_config, make_db_uri, db_kind, container_factory):
    """``start(service_cls=WebhooksService, **WEBHOOKS settings)`` -> (rpc, config)."""
    proxies = []

    def start(service_cls=WebhooksService, **settings):
        config = webhooks_config(rabbit_config, make_db_uri, db_kind, **settings)
        container_factory(service_cls, config).start()
        proxy = ClusterRpcProxy(config, timeout=10)
        proxies.append(proxy)
        return proxy.start(), config

    yield start
    for proxy in proxies:
        proxy.stop()


@pytest.fixture
def receivers():
    opened = []

    def make(**kwargs) -> Receiver:
        receiver = Receiver(**kwargs).__enter__()
        opened.append(receiver)
        return receiver

    yield make
    for receiver in opened:
        receiver.close()


def subscribe(rpc, owner_id, url, *types, owner_type="brand"):
    return rpc.webhooks.create_endpoint({"owner_type": owner_type, "owner_id": owner_id,
                                         "url": url, "event_types": list(types)})


def deliveries(rpc, endpoint_id, **filters):
    return rpc.webhooks.list_deliveries({"endpoint_id": endpoint_id, "page_size": 100,
                                         **filters})


def test_a_brand_gets_its_events_signed_with_the_documented_fields_and_no_one_elses(
        start, receivers):
    rpc, config = start()
    mine, theirs = receivers(), receivers()
    a = subscribe(rpc, BRAND_A, mine.url, "conversion.attributed", "commission.created")
    b = subscribe(rpc, BRAND_B, theirs.url, "conversion.attributed", "commission.created")
    assert a["secret"].startswith("whsec_") and "secret" not in rpc.webhooks.get_endpoint(
        a["endpoint_id"])
    partner = str(uuid.uuid4())
    converted = conversion(BRAND_A, partner)
    publish(config, "tracking", "conversion_attributed", converted)
    publish(config, "commissions", "commission_created", commission(BRAND_A, partner))
    publish(config, "tracking", "conversion_attributed", conversion(BRAND_B))
    bodies = sorted(mine.wait_for(2) and mine.verified(a["secret"]), key=lambda b: b["type"])
    assert [body["type"] for body in bodies] == ["commission.created", "conversion.attributed"]
    for body in bodies:
        assert set(body) == {"type", "version", "timestamp", "event_id", "data"}
        assert tuple(body["data"]) == catalogue.BY_NAME[body["type"]].field_names
        assert body["data"]["brand_id"] == BRAND_A
    assert bodies[1]["data"]["order_amount"] == converted["order_amount"]
    theirs.wait_for(1)
    time.sleep(0.3)
    assert mine.count() == 2 and theirs.count() == 1
    assert theirs.verified(b["secret"])[0]["data"]["brand_id"] == BRAND_B
    assert not verifies(a["secret"], theirs.received[0])
    [log] = [d for d in deliveries(rpc, a["endpoint_id"])["items"]
             if d["event_type"] == "conversion.attributed"]
    assert log["status"] == "DELIVERED" and log["webhook_id"] == mine.received[0].webhook_id \
        or log["webhook_id"] in mine.unique()


def test_a_receiver_answering_500_for_a_while_gets_it_once_healed_and_the_log_shows_it(
        start, receivers):
    rpc, config = start()
    receiver = receivers()
    receiver.answer(500, times=2)
    endpoint = subscribe(rpc, BRAND_A, receiver.url, "commission.created")
    publish(config, "commissions", "commission_created", commission(BRAND_A))
    receiver.wait_for(3, timeout=10)
    assert len(receiver.unique()) == 1  # one webhook-id, three attempts
    delivery = wait_for(lambda: (d := deliveries(rpc, endpoint["endpoint_id"])["items"])
                        and d[0]["status"] == "DELIVERED" and d[0], message="delivered")
    log = delivery["attempt_log"]
    assert [a["status_code"] for a in log] == [500, 500, 200]
    assert [a["outcome"] for a in log] == ["http_error", "http_error", "delivered"]
    assert all(a["duration_ms"] >= 0 and a["response_excerpt"] for a in log)
    assert log[0]["next_attempt_at"] and log[-1]["next_attempt_at"] is None
    assert rpc.webhooks.get_delivery(delivery["delivery_id"])["payload"]["type"] == \
        "commission.created"
    totals = rpc.webhooks.summary({"owner_type": "brand", "owner_id": BRAND_A})
    assert totals["deliveries"]["delivered"] == 1 and totals["endpoints"]["enabled"] == 1


def test_a_receiver_down_is_retried_on_schedule_then_disabled_and_its_owner_told(
        start, event_probe):
    probe = event_probe("webhooks")
    rpc, config = start()
    closed = Receiver()
    closed.close()  # nothing listens there any more
    endpoint = subscribe(rpc, BRAND_A, closed.url, "commission.created")
    publish(config, "commissions", "commission_created", commission(BRAND_A))
    endpoint = wait_for(lambda: (e := rpc.webhooks.get_endpoint(endpoint["endpoint_id"]))
                        ["status"] == "DISABLED" and e, timeout=10, message="disabled")
    assert endpoint["disabled_reason"] == "failing" and endpoint["consecutive_failures"] == 3
    [delivery] = deliveries(rpc, endpoint["endpoint_id"])["items"]
    assert delivery["status"] == "FAILED"
    log = delivery["attempt_log"]
    assert [a["outcome"] for a in log] == ["connection_error"] * 3
    starts = [a["started_at"] for a in log]
    gaps = [_seconds(later) - _seconds(earlier)
            for earlier, later in zip(starts, starts[1:], strict=False)]
    assert gaps[0] >= 0.29 and gaps[1] >= 0.59, gaps  # the schedule: 0.3 s, then 0.6 s
    told = wait_for(lambda: probe.of_type("endpoint_disabled"), message="the event")
    assert told[0]["payload"]["owner_id"] == BRAND_A
    assert told[0]["payload"]["reason"] == "failing"
    assert rpc.webhooks.summary({"owner_id": BRAND_A})["endpoints"]["disabled"] == 1
    with pytest.raises(BusinessRuleViolation):
        rpc.webhooks.send_test_event(endpoint["endpoint_id"])


def _seconds(text):
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_a_slow_receiver_times_out_without_holding_up_the_others(start, receivers):
    rpc, config = start(timeout_seconds=0.8, disable_after_failures=100)
    slow, fast = receivers(delay=3.0), receivers()
    s = subscribe(rpc, BRAND_A, slow.url, "commission.created")
    f = subscribe(rpc, BRAND_B, fast.url, "commission.created")
    for _ in range(6):
        publish(config, "commissions", "commission_created", commission(BRAND_A))
        publish(config, "commissions", "commission_created", commission(BRAND_B))
    began = time.monotonic()
    fast.wait_for(6, timeout=5)
    assert time.monotonic() - began < 2.5  # not queued behind the slow one's timeouts
    timed_out = wait_for(lambda: [d for d in deliveries(rpc, s["endpoint_id"])["items"]
                                  if d["attempt_log"]], message="slow attempts")
    assert {a["outcome"] for d in timed_out for a in d["attempt_log"]} == {"timeout"}
    assert all(a["duration_ms"] < 1500 for d in timed_out for a in d["attempt_log"])
    assert rpc.webhooks.summary({"owner_id": BRAND_B})["deliveries"]["delivered"] == 6
    assert f["endpoint_id"] != s["endpoint_id"]


def test_partner_suspended_reaches_the_brands_it_is_enrolled_with_and_partners_own(
        start, receivers):
    rpc, config = start()
    a, b, own = receivers(), receivers(), receivers()
    partner = str(uuid.uuid4())
    subscribe(rpc, BRAND_A, a.url, "partner.suspended", "partner.enrolled")
    subscribe(rpc, BRAND_B, b.url, "partner.suspended")
    mine = subscribe(rpc, partner, own.url, "partner.suspended", owner_type="partner")
    publish(config, "campaigns", "partner_enrolled", payload(
        "campaigns", "partner_enrolled", enrollment_id=str(uuid.uuid4()), brand_id=BRAND_A,
        partner_id=partner, campaign={"brand_id": BRAND_A}))
    a.wait_for(1)
    publish(config, "partners", "partner_suspended",
            payload("partners", "partner_suspended", partner_id=partner))
    a.wait_for(2)
    own.wait_for(1)
    time.sleep(0.3)
    assert b.count() == 0
    assert [r.json()["type"] for r in a.received] == ["partner.enrolled", "partner.suspended"]
    assert own.verified(mine["secret"])[0]["data"]["partner_id"] == partner


def test_rotation_both_signatures_during_the_grace_period_then_only_the_new_one(
        start, receivers):
    rpc, _ = start()
    receiver = receivers()
    created = subscribe(rpc, BRAND_A, receiver.url, "commission.created")
    endpoint_id = created["endpoint_id"]
    rotated = rpc.webhooks.rotate_secret(endpoint_id, 2)
    assert rotated["secret"] != created["secret"] and rotated["previous_secret_expires_at"]
    rpc.webhooks.send_test_event(endpoint_id)
    [during] = receiver.wait_for(1)
    assert verifies(created["secret"], during) and verifies(rotated["secret"], during)
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    time.sleep(2.1)
    rpc.webhooks.send_test_event(endpoint_id)
    after = receiver.wait_for(2)[1]
    assert verifies(rotated["secret"], after) and not verifies(created["secret"], after)
    assert after.json()["type"] == "webhook.test"
    assert tuple(after.json()["data"]) == catalogue.TEST_TYPE.field_names


def stored_secrets(config, endpoint_id) -> tuple[str, str | None]:
    database = Database(db_uri(config, "webhooks"))
    try:
        with database.reader() as conn:
            return tuple(conn.execute(select(endpoints.c.secret, endpoints.c.previous_secret)
                                      .where(endpoints.c.id == endpoint_id)).one())
    finally:
        database.dispose()


def test_secrets_are_stored_sealed_and_sealed_again_under_a_new_first_key(
        start, receivers, container_factory):
    rpc, config = start()
    receiver = receivers()
    created = subscribe(rpc, BRAND_A, receiver.url, "commission.created")
    endpoint_id = created["endpoint_id"]
    rotated = rpc.webhooks.rotate_secret(endpoint_id, 60)
    secret, previous = stored_secrets(config, endpoint_id)
    assert secret.startswith("sealed:v1:t1:") and previous.startswith("sealed:v1:t1:")
    assert rotated["secret"] not in secret and created["secret"] not in previous
    database = Database(db_uri(config, "webhooks"))  # a row from before the ring was set
    with database.transaction() as conn:
        conn.execute(update(endpoints).where(endpoints.c.id == endpoint_id)
                     .values(previous_secret=created["secret"]))
    database.dispose()
    rotated_ring = {**config, "WEBHOOKS": {**config["WEBHOOKS"],
                                           "secret_keys": f"{KEY_2},{KEY_1}"}}
    container_factory(WebhooksService, rotated_ring).start()  # resealed at start-up
    wait_for(lambda: stored_secrets(config, endpoint_id)[1].startswith("sealed:v1:t2:"),
             message="resealed under t2")
    assert stored_secrets(config, endpoint_id)[0].startswith("sealed:v1:t2:")
    rpc.webhooks.send_test_event(endpoint_id)
    [sent] = receiver.wait_for(1)
    assert verifies(rotated["secret"], sent) and verifies(created["secret"], sent)


def test_replays_send_the_same_webhook_id_again(start, receivers):
    rpc, config = start()
    receiver = receivers()
    endpoint = subscribe(rpc, BRAND_A, receiver.url, "commission.created")["endpoint_id"]
    before = time.time()
    for _ in range(2):
        publish(config, "commissions", "commission_created", commission(BRAND_A))
    receiver.wait_for(2)
    [first, *_] = deliveries(rpc, endpoint)["items"]
    wait_for(lambda: rpc.webhooks.get_delivery(first["delivery_id"])["status"] == "DELIVERED",
             message="delivered")
    replayed = rpc.webhooks.replay_delivery(first["delivery_id"])
    assert replayed["delivery_id"] == first["delivery_id"]
    receiver.wait_for(3)
    assert receiver.received[2].webhook_id == first["webhook_id"]
    wait_for(lambda: all(d["status"] == "DELIVERED"
                         for d in deliveries(rpc, endpoint)["items"]), message="settled")
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(before - 1))
    assert rpc.webhooks.replay_since(endpoint, {"since": since})["replayed"] == 2
    receiver.wait_for(5)
    assert len(receiver.unique()) == 2
    assert deliveries(rpc, endpoint, status="DELIVERED")["total"] <= 2


def test_endpoints_are_managed_and_bad_input_named(start, receivers):
    rpc, _ = start()
    receiver = receivers()
    created = subscribe(rpc, BRAND_A, receiver.url, "commission.created")
    endpoint_id = created["endpoint_id"]
    changed = rpc.webhooks.update_endpoint(endpoint_id, {
        "event_types": ["payout.paid", "commission.paid"], "description": "ledger"})
    assert changed["event_types"] == ["commission.paid", "payout.paid"]
    assert rpc.webhooks.disable_endpoint(endpoint_id)["status"] == "DISABLED"
    enabled = rpc.webhooks.enable_endpoint(endpoint_id)
    assert enabled["status"] == "ENABLED" and enabled["disabled_reason"] is None
    page = rpc.webhooks.list_endpoints({"owner_type": "brand", "owner_id": BRAND_A})
    assert [e["endpoint_id"] for e in page["items"]] == [endpoint_id]
    with pytest.raises(ValidationError) as refused:
        rpc.webhooks.create_endpoint({"owner_type": "admin", "owner_id": "x", "url": 5,
                                      "event_types": [], "surprise": 1})
    assert set(refused.value.fields) >= {"owner_type", "owner_id", "url", "event_types",
                                         "surprise"}
    with pytest.raises(ValidationError):
        rpc.webhooks.update_endpoint(endpoint_id, {})
    assert rpc.webhooks.delete_endpoint(endpoint_id) == {"endpoint_id": endpoint_id,
                                                         "deleted": True}
    with pytest.raises(NotFound):
        rpc.webhooks.get_endpoint(endpoint_id)
    types = rpc.webhooks.event_types("partner")["items"]
    assert "conversion.rejected" not in {t["type"] for t in types}
    assert rpc.webhooks.health()["status"] == "ok"


class Dns:
    """A resolver whose answers the test changes (a DNS rebinding, say)."""

    answers = {"hooks.acme.test": ["93.184.216.34"], "meta.acme.test": ["169.254.169.254"],
               "loop.acme.test": ["127.0.0.1"]}

    def __call__(self, host, port):
        if host not in self.answers:
            raise OSError("NXDOMAIN")
        return [ipaddress.ip_address(a) for a in self.answers[host]]


class WebhooksBehindDns(WebhooksService):
    bus = message_bus(resolve=Dns())


def test_private_and_metadata_destinations_are_refused_at_creation_and_at_delivery(start):
    Dns.answers["hooks.acme.test"] = ["93.184.216.34"]
    rpc, config = start(WebhooksBehindDns, allow_private_destinations=False, allow_http=False)
    for url in ("https://loop.acme.test/in", "https://meta.acme.test/in",
                "https://127.0.0.1/in", "https://[::1]/in", "https://169.254.169.254/",
                "http://hooks.acme.test/in", "https://nowhere.acme.test/"):
        with pytest.raises(ValidationError) as refused:
            subscribe(rpc, BRAND_A, url, "commission.created")
        assert "url" in refused.value.fields, url
    endpoint = subscribe(rpc, BRAND_A, "https://hooks.acme.test/in", "commission.created")
    Dns.answers["hooks.acme.test"] = ["10.0.0.7"]  # the answer changes after creation
    publish(config, "commissions", "commission_created", commission(BRAND_A))
    delivery = wait_for(lambda: [d for d in deliveries(rpc, endpoint["endpoint_id"])["items"]
                                 if d["attempt_log"]], message="an attempt")[0]
    [attempt, *_] = delivery["attempt_log"]
    assert attempt["outcome"] == "refused" and "private" in attempt["error"]
    assert attempt["status_code"] is None


def _payout_to_two_brands_and_the_partner(start, receivers, paid_with):
    """``paid_with(of_a, of_b)``: the payout_paid payload paying one commission of each
    brand. Returns what brand A's, brand B's and the partner's receivers got."""
    rpc, config = start()
    a, b, partner_hook = receivers(), receivers(), receivers()
    partner = str(uuid.uuid4())
    subscribe(rpc, BRAND_A, a.url, "payout.paid")
    subscribe(rpc, BRAND_B, b.url, "payout.paid")
    subscribe(rpc, partner, partner_hook.url, "payout.paid", owner_type="partner")
    of_a, of_b = commission(BRAND_A, partner), commission(BRAND_B, partner)
    paid = paid_with(config, of_a, of_b)
    publish(config, "payouts", "payout_paid", {**paid, "partner_id": partner})
    [to_a], [to_b], [to_partner] = (r.wait_for(1)[0:1] for r in (a, b, partner_hook))
    assert to_a.json()["data"]["commission_ids"] == [of_a["commission_id"]]
    assert to_b.json()["data"]["commission_ids"] == [of_b["commission_id"]]
    assert to_a.json()["data"]["amount"] is None
    assert to_partner.json()["data"]["amount"] == paid["amount"]
    assert len(to_partner.json()["data"]["commission_ids"]) == 2


def test_a_payout_reaches_each_brand_it_names_with_its_own_commissions_only(
        start, receivers):
    """No commission event reaches the service (nobody subscribes to one): the payout's
    ``commission_brands`` is all it needs."""
    def paid_with(config, *commissions):
        return payload("payouts", "payout_paid",
                       commission_ids=[c["commission_id"] for c in commissions],
                       commission_brands=[{"commission_id": c["commission_id"],
                                           "brand_id": c["brand_id"]} for c in commissions])

    _payout_to_two_brands_and_the_partner(start, receivers, paid_with)


def test_a_payout_held_before_payouts_named_brands_is_scoped_by_the_old_replica(
        start, receivers):
    """Its event has commission ids only; the rows ``commission_created`` wrote into the
    ``commissions`` replica before the upgrade still name their brands."""
    from common.nameko.config import db_uri
    from common.seedwork.infrastructure.database import Database
    from services.webhooks.infrastructure.tables import commissions as replica

    def paid_with(config, *commissions):
        database = Database(db_uri(config, "webhooks"))
        try:  # what the replica held from before the upgrade
            with database.transaction() as conn:
                conn.execute(replica.insert(), [
                    {"id": c["commission_id"], "brand_id": c["brand_id"],
                     "partner_id": c["partner_id"]} for c in commissions])
        finally:
            database.dispose()
        paid = payload("payouts", "payout_paid",
                       commission_ids=[c["commission_id"] for c in commissions])
        del paid["commission_brands"]
        return paid

    _payout_to_two_brands_and_the_partner(start, receivers, paid_with)


# --- the snapshot of subscriptions (application/subscriptions.py) ---------------------------
def _handled(config, count):
    """``count`` partner_enrolled events handled (their replica rows committed): each
    read the process's snapshot of subscriptions on its way."""
    from sqlalchemy import func, select

    from common.nameko.config import db_uri
    from common.seedwork.infrastructure.database import Database
    from services.webhooks.infrastructure.tables import enrollments

    def replicated():
        database = Database(db_uri(config, "webhooks"))
        try:
            with database.reader() as conn:
                return conn.execute(
                    select(func.count()).select_from(enrollments)).scalar() >= count
        finally:
            database.dispose()

    wait_for(replicated, message=f"{count} enrollment(s) handled")


def test_an_endpoint_created_just_after_the_snapshot_was_read_gets_the_next_event(
        start, receivers):
    rpc, config = start(subscriptions_max_age_seconds=60)
    receiver = receivers()
    publish(config, "campaigns", "partner_enrolled", enrollment(BRAND_A))
    _handled(config, 1)  # read the snapshot: nobody subscribes
    endpoint = subscribe(rpc, BRAND_A, receiver.url, "commission.created",
                         "conversion.attributed")
    publish(config, "commissions", "commission_created", commission(BRAND_A))
    publish(config, "tracking", "conversion_attributed", conversion(BRAND_A))
    assert {body["type"] for body in receiver.wait_for(2)
            and receiver.verified(endpoint["secret"])} == {"commission.created",
                                                           "conversion.attributed"}
    assert len(deliveries(rpc, endpoint["endpoint_id"])["items"]) == 2


def test_a_disabled_endpoints_events_are_recorded_skipped(start, receivers):
    rpc, config = start(subscriptions_max_age_seconds=60)
    receiver = receivers()
    endpoint = subscribe(rpc, BRAND_A, receiver.url, "commission.created")["endpoint_id"]
    rpc.webhooks.disable_endpoint(endpoint)
    publish(config, "commissions", "commission_created", commission(BRAND_A))
    wait_for(lambda: deliveries(rpc, endpoint)["items"], message="the first delivery")
    publish(config, "commissions", "commission_created", commission(BRAND_A))
    skipped = wait_for(lambda: len(d := deliveries(rpc, endpoint)["items"]) == 2 and d,
                       message="two deliveries")
    assert {d["status"] for d in skipped} == {"SKIPPED"}
    time.sleep(0.3)
    assert receiver.count() == 0


def test_another_instances_endpoint_gets_the_events_handled_once_max_age_has_passed(
        start, receivers):
    from common.nameko.config import db_uri
    from common.seedwork.domain.clock import utcnow
    from common.seedwork.infrastructure.database import Database
    from services.webhooks.domain.endpoint import Endpoint, Owner
    from services.webhooks.infrastructure.repositories import SqlEndpointRepository

    rpc, config = start(subscriptions_max_age_seconds=0.5)
    receiver, elsewhere = receivers(), receivers()
    subscribe(rpc, BRAND_B, elsewhere.url, "commission.created")  # binds the type's queue
    publish(config, "campaigns", "partner_enrolled", enrollment(BRAND_A))
    _handled(config, 1)  # this instance has read the snapshot: brand B's endpoint only
    endpoint = Endpoint.create(owner=Owner("brand", BRAND_A), url=receiver.url,
                               event_types=("commission.created",), description="",
                               now=utcnow())
    database = Database(db_uri(config, "webhooks"))
    try:  # what another instance's create_endpoint commits: this one is not told
        with database.transaction() as conn:
            SqlEndpointRepository(conn).add(endpoint)
    finally:
        database.dispose()
    time.sleep(0.5)
    publish(config, "commissions", "commission_created", commission(BRAND_A))
    [received] = receiver.wait_for(1)
    assert verifies(endpoint.secret, received)


def test_a_commission_created_approved_reaches_an_endpoint_of_commission_approved_only(
        start, receivers):
    """No hold: commissions sends only ``commission_created`` with status APPROVED. An
    endpoint subscribed to ``commission.approved`` alone still gets it -- its queue is
    bound to both events -- once, however often the event comes; a PENDING one it
    does not get."""
    rpc, config = start()
    receiver = receivers()
    endpoint = subscribe(rpc, BRAND_A, receiver.url, "commission.approved")
    approved = commission(BRAND_A, status="APPROVED")
    event_id = publish(config, "commissions", "commission_created", approved, times=2)
    publish(config, "commissions", "commission_created", commission(BRAND_A))  # PENDING
    receiver.wait_for(1)
    time.sleep(0.5)
    [body] = receiver.verified(endpoint["secret"])
    assert body["type"] == "commission.approved" and body["event_id"] != event_id
    assert body["data"]["commission_id"] == approved["commission_id"]
    assert body["data"]["status"] == "APPROVED"
    assert len(deliveries(rpc, endpoint["endpoint_id"])["items"]) == 1


def test_an_event_delivered_twice_is_one_delivery_and_no_inbox_row(start, receivers):
    from sqlalchemy import func, select, text

    from common.nameko.config import db_uri
    from common.seedwork.infrastructure.database import Database
    from services.webhooks.infrastructure.tables import deliveries as deliveries_table

    rpc, config = start()
    receiver = receivers()
    endpoint = subscribe(rpc, BRAND_A, receiver.url, "commission.created")["endpoint_id"]
    publish(config, "commissions", "commission_created", commission(BRAND_A), times=2)
    publish(config, "tracking", "conversion_attributed", conversion(BRAND_B), times=2)
    receiver.wait_for(1)
    time.sleep(0.5)  # the second copy is handled by now (the other brand's pair: no queue
    # bound to conversion_attributed, as nobody subscribes to conversion.attributed)
    assert receiver.count() == 1
    [delivery] = deliveries(rpc, endpoint)["items"]
    assert delivery["status"] == "DELIVERED"
    database = Database(db_uri(config, "webhooks"))
    try:
        with database.reader() as conn:
            count = conn.execute(select(func.count()).select_from(deliveries_table)).scalar()
            inbox = conn.execute(text("SELECT count(*) FROM inbox_messages")).scalar()
    finally:
        database.dispose()
    assert (count, inbox) == (1, 0)
