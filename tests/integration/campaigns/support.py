"""Payloads and helpers shared by the campaigns integration tests."""
import uuid

from kombu import Connection
from nameko.standalone.events import get_event_exchange
from sqlalchemy import func, select

from common.contracts import partners as partner_contracts
from common.seedwork.application.integration import IntegrationEvent
from tests.support import migrated, service_config

BASE_URL = "https://go.alpes.test"
USD = "USD"


def usd(amount: str) -> dict:
    return {"amount": amount, "currency": USD}


CPS_10 = {"model": "CPS", "rate": "0.10", "attribution_window_days": 30, "hold_days": 14}


def campaign_payload(brand_id: str, **overrides) -> dict:
    return {"brand_id": brand_id, "name": "Winter sale", "description": "Ski gear",
            "currency": USD, "budget": usd("1000.00"),
            "landing_url": "https://acme.example/winter", "terms": CPS_10, **overrides}


def campaigns_config(rabbit_config: dict, make_db_uri, db_kind: str, **extra) -> dict:
    uris = {"campaigns": migrated("campaigns", make_db_uri(db_kind, "campaigns"))}
    uris.update(extra.pop("db_uris", {}))
    return service_config(rabbit_config, uris, CAMPAIGNS={"public_base_url": BASE_URL},
                          **extra)


def new_partner_id() -> str:
    return str(uuid.uuid4())


def partner_snapshot(partner_id: str, *, status: str = "ACTIVE", revision: int = 3,
                     type: str = "influencer", country: str = "ES") -> dict:
    return {"partner_id": partner_id, "name": "Ana", "email": "ana@example.com", "type": type,
            "country": country, "status": status,
            "kyc_status": "VERIFIED" if status != "PENDING" else "NOT_VERIFIED",
            "payout_method": None, "registered_at": "2026-11-29T12:00:00Z",
            "revision": revision}


def publish_partner_event(config: dict, event_type: str, snapshot: dict) -> dict:
    """Send a contract-valid partners event, as the partners service would."""
    [contract] = [c for c in partner_contracts.CONTRACTS if c.name == event_type]
    payload = contract.serialize(snapshot)
    message = IntegrationEvent.new(source="partners", type=event_type, version=1,
                                   payload=payload).to_message()
    exchange = get_event_exchange("partners", config)
    with Connection(config["AMQP_URI"]) as conn:
        conn.Producer(serializer="json").publish(message, exchange=exchange,
                                                 routing_key=event_type, declare=[exchange])
    return message


def count(database, table, *where) -> int:
    with database.reader() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()
