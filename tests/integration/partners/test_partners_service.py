"""The partners service container over the real broker, on SQLite and PostgreSQL."""
import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import func, select

from common.nameko.config import db_uri
from common.seedwork.errors import BusinessRuleViolation, Conflict, NotFound, ValidationError
from common.seedwork.infrastructure.database import Database
from services.partners.infrastructure.tables import outbox_messages, partners
from services.partners.service import PartnersService
from tests.support import migrated, service_config

ANA = {"name": "Ana", "email": "ana@example.com", "type": "influencer", "country": "ES",
       "payout_method": {"type": "bank_transfer", "account_holder": "Ana Ruiz",
                         "iban": "ES91 2100 0418 4502 0005 1332"}}


@pytest.fixture
def config(rabbit_config, make_db_uri, db_kind):
    return service_config(rabbit_config,
                          {"partners": migrated("partners", make_db_uri(db_kind, "partners"))})


@pytest.fixture
def rpc(config, container_factory):
    container_factory(PartnersService, config).start()
    with ClusterRpcProxy(config, timeout=10) as proxy:
        yield proxy.partners


@pytest.fixture
def db(config):
    database = Database(db_uri(config, "partners"))
    yield database
    database.dispose()


def count(db, table):
    with db.reader() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_register_verify_activate(rpc, event_probe):
    probe = event_probe("partners")
    created = rpc.register_partner(ANA)
    assert created["status"] == "PENDING"
    partner_id = created["partner_id"]
    assert rpc.verify_partner(partner_id)["kyc_status"] == "VERIFIED"
    partner = rpc.activate_partner(partner_id)
    assert partner["status"] == "ACTIVE"
    assert partner["payout_method"]["iban"] == "ES9121000418450200051332"
    assert rpc.get_partner(partner_id) == partner
    types = [m["type"] for m in probe.drain(settle=0.5)]
    assert types == ["partner_registered", "partner_verified", "partner_activated"]


def test_invalid_registration_names_each_field_and_changes_nothing(rpc, db, event_probe):
    probe = event_probe("partners")
    with pytest.raises(ValidationError) as error:
        rpc.register_partner({"name": "Bob", "email": "bob(at)example", "type": "spammer",
                              "country": "ZZ"})
    assert set(error.value.fields) == {"email", "type", "country"}
    assert count(db, partners) == 0 and count(db, outbox_messages) == 0
    assert probe.drain(settle=0.5) == []


def test_email_is_unique_whatever_the_case(rpc, db):
    rpc.register_partner(ANA)
    with pytest.raises(Conflict) as error:
        rpc.register_partner({**ANA, "email": "ANA@EXAMPLE.COM"})
    assert "email" in error.value.fields
    assert count(db, partners) == 1 and count(db, outbox_messages) == 1


def test_racing_registrations_under_one_chosen_id_make_one_partner(rpc, config, db):
    """Sign-up retried while its first try is still running: every answer is the one
    partner, registered once (on PostgreSQL both may insert; the loser replays)."""
    chosen = "6f1c2a54-0d7e-4a8e-9a57-2c1f1b0e7a01"
    with ClusterRpcProxy(config, timeout=10) as proxy:
        calls = [proxy.partners.register_partner.call_async({**ANA, "partner_id": chosen})
                 for _ in range(8)]
        answers = [call.result() for call in calls]
    assert answers == [{"partner_id": chosen, "status": "PENDING"}] * 8
    assert count(db, partners) == 1 and count(db, outbox_messages) == 1
    with pytest.raises(Conflict) as error:
        rpc.register_partner({**ANA, "email": "bo@example.com", "partner_id": chosen})
    assert error.value.fields == {"partner_id": ["Already registered."]}


def test_business_rules_and_missing_partners_are_typed(rpc):
    partner_id = rpc.register_partner(ANA)["partner_id"]
    with pytest.raises(BusinessRuleViolation):
        rpc.activate_partner(partner_id)
    with pytest.raises(NotFound):
        rpc.get_partner("6f9619ff-8b86-d011-b42d-00c04fc964ff")
    with pytest.raises(ValidationError) as error:
        rpc.get_partner("not-a-uuid")
    assert "partner_id" in error.value.fields


def test_suspend_reactivate_and_payout_method(rpc):
    partner_id = rpc.register_partner({**ANA, "payout_method": None})["partner_id"]
    rpc.verify_partner(partner_id)
    rpc.activate_partner(partner_id)
    with pytest.raises(ValidationError):
        rpc.suspend_partner(partner_id, "")
    suspended = rpc.suspend_partner(partner_id, "chargeback fraud")
    assert (suspended["status"], suspended["suspension_reason"]) == ("SUSPENDED",
                                                                     "chargeback fraud")
    assert rpc.reactivate_partner(partner_id)["status"] == "ACTIVE"
    changed = rpc.change_payout_method(partner_id, {"type": "paypal", "email": "ana@pp.example"})
    assert changed["payout_method"] == {"type": "paypal", "email": "ana@pp.example"}
    assert changed["revision"] == 6


def test_list_partners_filters_and_pages(rpc):
    ids = [rpc.register_partner({**ANA, "email": f"p{n}@example.com",
                                 "type": "media" if n % 2 else "b2b"})["partner_id"]
           for n in range(5)]
    rpc.verify_partner(ids[0])
    rpc.activate_partner(ids[0])
    page = rpc.list_partners({"type": "b2b", "page_size": 2})
    assert (page["total"], len(page["items"]), page["page"]) == (3, 2, 1)
    assert rpc.list_partners({"status": "ACTIVE"})["items"][0]["partner_id"] == ids[0]
    assert rpc.list_partners()["total"] == 5
    with pytest.raises(ValidationError):
        rpc.list_partners({"page": -1})


def test_health(rpc):
    assert rpc.health() == {"service": "partners", "status": "ok", "database": "ok"}
