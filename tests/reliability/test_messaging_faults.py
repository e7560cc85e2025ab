"""Faults around the messaging core, with partners (a `nameko run` process) publishing
and the test-only `audit` service consuming: broker connections cut under load, a
consumer that is down while events flow, a database that is unreachable or locked, a
COMMIT whose answer never comes back.

Every scenario counts lost / duplicated / unexpected effects; all must be 0.
"""
import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from common.migrate import upgrade
from common.nameko import topology
from common.nameko.config import db_uri
from common.seedwork.errors import ServiceUnavailable
from common.seedwork.infrastructure.database import Database
from tests.integration.seedwork import consumer
from tests.integration.seedwork.consumer import AuditService
from tests.reliability.checker import assert_clean, check
from tests.reliability.conftest import scale
from tests.reliability.faults import SqliteLock, TcpProxy, close_broker_connections
from tests.stack_fixtures import config_for
from tests.support import wait_for


@pytest.fixture
def audit(e2e_env, tmp_path):
    """The consumer's config and database (its queue declared before anything runs)."""
    config = config_for(e2e_env)
    config["DB_URIS"]["audit:Base"] = f"sqlite:///{tmp_path}/audit.db"
    database = Database(db_uri(config, "audit"))
    consumer.metadata.create_all(database.write_engine)  # test-only service schema
    topology.declare(config, [AuditService])
    yield config, database
    database.dispose()


def register_many(config, count: int, clients: int, tag: str, on_progress=None):
    """``clients`` green threads register ``count`` partners in all. Returns the ids the
    caller saw accepted and the errors it saw."""
    accepted, errors = [], []

    def client(n):
        for i in range(count // clients):
            try:
                with ClusterRpcProxy(config, timeout=15) as rpc:
                    accepted.append(rpc.partners.register_partner({
                        "name": "P", "email": f"{tag}-{n}-{i}@example.com", "type": "media",
                        "country": "FR"})["partner_id"])
            except Exception as error:
                errors.append(error)
            if on_progress:
                on_progress(len(accepted))

    pool = eventlet.GreenPool(clients)
    for n in range(clients):
        pool.spawn(client, n)
    return pool, accepted, errors


def partner_ids_in(config) -> list[str]:
    with ClusterRpcProxy(config, timeout=15) as rpc:
        ids, page = [], 1
        while True:
            result = rpc.partners.list_partners({"page": page, "page_size": 100})
            ids += [item["partner_id"] for item in result["items"]]
            if len(ids) >= result["total"]:
                return ids
            page += 1


def applied(database) -> list[str]:
    return [row.partner_id for row in consumer.received_rows(database)]


def test_broker_connections_cut_under_load(start_stack, audit, container_factory, vhost):
    """Every connection of the vhost is closed twice while registrations flow: the services
    reconnect by themselves and every committed partner is applied once downstream."""
    config, audit_db = audit
    stack = start_stack("partners")
    container_factory(AuditService, config).start()
    total = scale(150, 1500)
    pool, accepted, _ = register_many(config, total, clients=5, tag="cut")
    wait_for(lambda: len(accepted) >= total // 4, timeout=60, message="traffic")
    assert close_broker_connections(vhost, at_least=3) >= 3
    wait_for(lambda: len(accepted) >= total // 2, timeout=60, message="more traffic")
    close_broker_connections(vhost, at_least=3)
    pool.waitall()

    committed = partner_ids_in(config)  # the source of truth, failed calls included
    assert set(accepted) <= set(committed)
    wait_for(lambda: len(applied(audit_db)) >= len(committed), timeout=60,
             message="every event applied")
    assert_clean(check("broker connections cut", committed, applied(audit_db)))
    assert stack.processes["partners"].running


def test_consumer_down_while_events_flow(start_stack, audit, container_factory):
    """The consumer has never run while 200 events are published; started later, it
    works through the backlog: nothing lost, nothing twice."""
    config, audit_db = audit
    start_stack("partners")
    total = scale(200, 2000)
    pool, accepted, errors = register_many(config, total, clients=4, tag="down")
    pool.waitall()
    assert not errors and len(accepted) == total
    container_factory(AuditService, config).start()
    wait_for(lambda: len(applied(audit_db)) >= total, timeout=90, message="the backlog")
    assert_clean(check("consumer down", accepted, applied(audit_db)))


@pytest.mark.postgres
def test_database_briefly_unreachable(start_stack, audit, container_factory, make_db_uri,
                                      event_probe):
    """partners' PostgreSQL goes away for a while (every connection cut, new ones
    refused) and comes back: callers get a typed ServiceUnavailable or success; nothing
    half-written (every partner row has its event, every event its row)."""
    config, _ = audit
    direct = make_db_uri("postgresql", "partners")
    upgrade("partners", direct)
    proxy = TcpProxy("127.0.0.1", 5432)
    probe = event_probe("partners", "partner_registered")
    try:
        start_stack("partners", extra_env={"PARTNERS_DB_URI": through(proxy, direct)})
        total = scale(120, 1200)
        pool, accepted, errors = register_many(config, total, clients=4, tag="pg")
        wait_for(lambda: len(accepted) >= total // 4, timeout=60, message="traffic")
        proxy.cut()
        eventlet.sleep(2.0)
        proxy.restore()
        pool.waitall()
        assert errors, "the outage should have refused some calls"
        assert all(isinstance(error, ServiceUnavailable) for error in errors), \
            {type(error).__name__ for error in errors}
        rows = partner_rows(direct)
        assert set(accepted) <= set(rows)
        # A commit whose answer the cut swallowed is published by the outbox sweep, which
        # reaches the database through the proxy: it stays up until every event is out.
        wait_for(lambda: len(probe.drain()) >= len(rows), timeout=30, message="events")
    finally:
        proxy.close()
    published = [m["payload"]["partner_id"] for m in probe.drain(settle=1.0)]
    assert_clean(check("database unreachable", rows, published))


@pytest.mark.postgres
def test_commit_answer_lost(start_stack, audit, make_db_uri, event_probe):
    """partners' COMMIT reaches PostgreSQL but its answer never comes back: the caller gets
    ServiceUnavailable though the partner exists (the commit is in doubt for it), and the
    outbox sweep publishes that partner's event -- once, like every other."""
    config, _ = audit
    direct = make_db_uri("postgresql", "partners")
    upgrade("partners", direct)
    proxy = TcpProxy("127.0.0.1", 5432)
    probe = event_probe("partners", "partner_registered")
    accepted, in_doubt = [], []
    try:
        start_stack("partners", extra_env={"PARTNERS_DB_URI": through(proxy, direct)})
        with ClusterRpcProxy(config, timeout=15) as rpc:
            for i in range(24):
                if i % 4 == 3:  # once the relay has stamped, the next COMMIT is ours
                    wait_for(lambda: not unpublished(direct), timeout=30,
                             message="the relay stamping what it published")
                    proxy.lose_next_commit_answer()
                try:
                    accepted.append(rpc.partners.register_partner({
                        "name": "P", "email": f"doubt-{i}@example.com", "type": "media",
                        "country": "FR"})["partner_id"])
                except ServiceUnavailable:
                    in_doubt.append(i)
        rows = partner_rows(direct)
        wait_for(lambda: len(probe.drain()) >= len(rows), timeout=60, message="events")
    finally:
        proxy.close()
    assert in_doubt and proxy.commit_answers_lost >= len(in_doubt)
    assert len(rows) == len(accepted) + len(in_doubt)  # each refused call did commit
    published = [m["payload"]["partner_id"] for m in probe.drain(settle=1.0)]
    assert_clean(check("commit answer lost", rows, published))


def through(proxy: TcpProxy, uri: str) -> str:
    return uri.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")


def unpublished(uri: str) -> int:
    """Outbox rows the relay has not stamped yet (read around the proxy)."""
    [count] = first_column(uri, "SELECT count(*) FROM outbox_messages WHERE published_at IS NULL")
    return count


def partner_rows(uri: str) -> list[str]:
    return first_column(uri, "SELECT id FROM partners")


def first_column(uri: str, sql: str) -> list:
    database = Database(uri)
    with database.reader() as conn:
        values = [row[0] for row in conn.execute(text(sql))]
    database.dispose()
    return values


def test_sqlite_locked_by_another_writer(start_stack, e2e_env, tmp_path, event_probe):
    """Another process holds the SQLite write lock for a while: writes wait for it (busy
    timeout) and then succeed; no partial write, one event per partner."""
    probe = event_probe("partners", "partner_registered")
    start_stack("partners")
    config = config_for(e2e_env)
    lock = SqliteLock(str(tmp_path / "partners.db")).hold(1.5)
    pool, accepted, errors = register_many(config, scale(40, 400), clients=4, tag="lock")
    pool.waitall()
    lock.join()
    assert not errors and len(accepted) == scale(40, 400)
    wait_for(lambda: len(probe.drain()) >= len(accepted), timeout=30, message="events")
    published = [m["payload"]["partner_id"] for m in probe.drain(settle=0.5)]
    assert_clean(check("sqlite locked", accepted, published))
