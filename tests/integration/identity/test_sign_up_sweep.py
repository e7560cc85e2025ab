"""Sign-ups never finished, swept by identity's housekeeping timer over the real broker,
asking a stand-in partners service, on SQLite and PostgreSQL."""
from datetime import timedelta

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_hook
from sqlalchemy import select, update

from common.nameko.config import db_uri
from common.nameko.rpc import api
from common.seedwork.domain.clock import utcnow
from common.seedwork.errors import NotFound
from common.seedwork.infrastructure.database import Database
from services.identity.infrastructure.tables import accounts
from services.identity.service import IdentityService
from tests.integration.identity.test_identity_service import PASSWORD, identity_settings
from tests.support import migrated, service_config

ABANDONED = "6f1c2a54-0d7e-4a8e-9a57-2c1f1b0e7a01"
FINISHED = "7a2d3b65-1e8f-4b9f-8b68-3d2a2c1f8b02"
RECENT = "8b3e4c76-2f90-4ca0-9c79-4e3b3d209c03"


class StandInPartners:
    """partners' ``get_partner`` as identity sees it: one registered partner."""

    name = "partners"

    @api
    def get_partner(self, partner_id):
        if partner_id != FINISHED:
            raise NotFound(f"Partner {partner_id} does not exist.", {"partner_id": ["Unknown."]})
        return {"partner_id": partner_id}


@pytest.fixture
def config(rabbit_config, make_db_uri, db_kind):
    return service_config(rabbit_config,
                          {"identity": migrated("identity", make_db_uri(db_kind, "identity"))},
                          IDENTITY=identity_settings())


@pytest.fixture
def db(config):
    database = Database(db_uri(config, "identity"))
    yield database
    database.dispose()


def sign_up(rpc, partner_id, email):
    return rpc.identity.create_partner_account(
        {"partner_id": partner_id, "email": email, "password": PASSWORD})


def last_changed(db, account_id, ago: timedelta) -> None:
    with db.transaction() as conn:
        conn.execute(update(accounts).where(accounts.c.id == account_id)
                     .values(updated_at=utcnow() - ago))


def stored(db) -> dict:
    with db.reader() as conn:
        return {row.partner_id: row.partner_confirmed_at for row in conn.execute(
            select(accounts.c.partner_id, accounts.c.partner_confirmed_at))}


def test_the_housekeeping_withdraws_a_sign_up_never_finished_and_confirms_a_finished_one(
        config, container_factory, db, event_probe):
    identity = container_factory(IdentityService, config)
    identity.start()
    container_factory(StandInPartners, config).start()
    probe = event_probe("identity", "account_withdrawn")
    with ClusterRpcProxy(config, timeout=10) as rpc:
        abandoned = sign_up(rpc, ABANDONED, "gone@example.com")
        finished = sign_up(rpc, FINISHED, "done@example.com")
        sign_up(rpc, RECENT, "soon@example.com")
        for made in (abandoned, finished):
            last_changed(db, made["account_id"], timedelta(days=8))

        with entrypoint_hook(identity, "purge_expired") as housekeeping:
            assert housekeeping()["sign_ups"] == {"withdrawn": 1, "confirmed": 1, "left": 0}
        after = stored(db)
        assert set(after) == {FINISHED, RECENT}
        assert after[FINISHED] is not None and after[RECENT] is None
        [withdrawn] = probe.drain(settle=0.5)
        assert withdrawn["payload"]["account_id"] == abandoned["account_id"]

        with entrypoint_hook(identity, "purge_expired") as housekeeping:  # nothing left
            assert housekeeping()["sign_ups"] == {"withdrawn": 0, "confirmed": 0, "left": 0}
        again = sign_up(rpc, ABANDONED, "gone@example.com")  # the email is free again
        assert again["account_id"] != abandoned["account_id"]


def test_without_partners_running_nothing_is_withdrawn(config, container_factory, db):
    identity = container_factory(IdentityService, config)
    identity.start()
    with ClusterRpcProxy(config, timeout=10) as rpc:
        made = sign_up(rpc, ABANDONED, "gone@example.com")
    last_changed(db, made["account_id"], timedelta(days=8))
    with entrypoint_hook(identity, "purge_expired") as housekeeping:
        assert housekeeping()["sign_ups"] == {"withdrawn": 0, "confirmed": 0, "left": 1}
    assert set(stored(db)) == {ABANDONED}
