"""The publisher dies (SIGKILL) right after the DB commit and before the publish: the
event still reaches its consumer once the service is back."""
import signal

import pytest
from nameko.exceptions import RpcTimeout
from nameko.standalone.rpc import ClusterRpcProxy

from common.nameko import topology
from common.nameko.config import db_uri
from common.seedwork.infrastructure.database import Database
from tests.e2e.conftest import config_for
from tests.integration.seedwork import consumer
from tests.integration.seedwork.consumer import AuditService
from tests.support import wait_for

PARTNER = {"name": "Cy", "email": "cy@example.com", "type": "media", "country": "DE"}


@pytest.fixture
def audit(e2e_env, container_factory, tmp_path):
    config = config_for(e2e_env)
    config["DB_URIS"]["audit:Base"] = f"sqlite:///{tmp_path}/audit.db"
    database = Database(db_uri(config, "audit"))
    consumer.metadata.create_all(database.write_engine)
    topology.declare(config, [AuditService])
    yield config, database
    database.dispose()


def test_event_survives_a_crash_between_commit_and_publish(start_stack, audit,
                                                           container_factory, event_probe):
    config, audit_db = audit
    probe = event_probe("partners")
    stack = start_stack(
        "partners", extra_env={"ALPES_FAULTS": "crash_after_commit:partner_registered"})
    with ClusterRpcProxy(config, timeout=5) as rpc:
        with pytest.raises(RpcTimeout):
            rpc.partners.register_partner(PARTNER)
    partners = stack.processes["partners"]
    wait_for(lambda: not partners.running, message="the crash")
    assert partners.process.returncode == -signal.SIGKILL
    assert probe.drain(settle=0.5) == []  # committed, never published

    stack.restart("partners", extra_env={"ALPES_FAULTS": ""})
    container_factory(AuditService, config).start()
    rows = wait_for(lambda: consumer.received_rows(audit_db), timeout=20,
                    message="the event after restart")
    with ClusterRpcProxy(config, timeout=5) as rpc:
        [partner] = rpc.partners.list_partners({})["items"]
    assert [row.partner_id for row in rows] == [partner["partner_id"]]
    registered = [m for m in probe.drain(settle=1.0) if m["type"] == "partner_registered"]
    assert len(registered) == 1
