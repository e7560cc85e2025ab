"""Scenario 12, poison messages: while real conversions flow through the platform,
another system on the broker publishes straight to its event exchanges, forging events
about real partners and campaigns -- bodies that do not decode, text instead of JSON,
envelopes with a version no consumer knows or one that is not a number, payloads that
break their contract.

Counted: sent, dead-lettered (per consumer, by reason) and applied. Applied must be 0:
no commission for a forged conversion, no budget reserved for one, no enrollment
suspended by a forged suspension; every real conversion still earns exactly once.
"""
from __future__ import annotations

import collections
import json
import uuid

import eventlet
import kombu
from nameko.standalone.events import get_event_exchange

from common.contracts import partners as partner_contracts
from common.contracts import tracking as tracking_contracts
from common.contracts.examples import example
from tests.reliability.checker import assert_clean, check
from tests.reliability.conftest import scale
from tests.reliability.scenarios import budget_reserved, commission_conversions, owed, world
from tests.support import wait_for

CONSUMERS = {  # who reads each forged event type on the running platform
    "conversion_attributed": ("commissions",),
    "partner_suspended": ("campaigns", "payouts", "tracking"),
}


def forged_conversion(campaign, partner) -> dict:
    payload = example(tracking_contracts.CONVERSION_ATTRIBUTED)
    payload.update(conversion_id=str(uuid.uuid4()), campaign_id=campaign.campaign_id,
                   brand_id=campaign.brand.brand_id, partner_id=partner.partner_id,
                   order_id=f"forged-{uuid.uuid4().hex[:8]}")
    return payload


def forged_suspension(partner) -> dict:
    return {**example(partner_contracts.PARTNER_SUSPENDED), "partner_id": partner.partner_id,
            "revision": 1000}


def envelope(source: str, event_type: str, payload, **overrides) -> bytes:
    body = {"event_id": str(uuid.uuid4()), "type": event_type, "version": 1,
            "source": source, "occurred_at": "2026-12-01T10:00:00Z",
            "correlation_id": None, "causation_id": None, "payload": payload, **overrides}
    return json.dumps(body).encode()


def poison_batch(campaign, partner) -> list[tuple[str, str, bytes, str, str]]:
    """(source, event type, body, content type, expected reason) of one of each kind."""
    conversion, suspension = forged_conversion(campaign, partner), forged_suspension(partner)
    broken = {k: v for k, v in conversion.items() if k != "order_amount"}
    return [
        ("tracking", "conversion_attributed",
         envelope("tracking", "conversion_attributed", conversion, version=99),
         "application/json", "unknown_version"),
        ("tracking", "conversion_attributed",
         envelope("tracking", "conversion_attributed", conversion, version="one"),
         "application/json", "malformed_envelope"),
        ("tracking", "conversion_attributed",
         envelope("tracking", "conversion_attributed", broken), "application/json",
         "contract_violation"),
        ("tracking", "conversion_attributed", b'{"type": "conversion_attributed", ',
         "application/json", "undecodable"),
        ("partners", "partner_suspended",
         envelope("partners", "partner_suspended", suspension, version=2),
         "application/json", "unknown_version"),
        ("partners", "partner_suspended", b"suspend " + partner.partner_id.encode(),
         "text/plain", "content_type_not_accepted"),
    ]


def publish(platform, batch) -> None:
    with kombu.Connection(platform.amqp_uri) as connection:
        producer = connection.Producer()
        for source, event_type, body, content_type, _ in batch:
            producer.publish(body, exchange=get_event_exchange(source, {}),
                             routing_key=event_type, content_type=content_type,
                             content_encoding="binary", delivery_mode=2,
                             message_id=str(uuid.uuid4()))


def poison_dead_letters(platform) -> collections.Counter:
    """(service, reason) -> count of dead letters of the consumers under attack."""
    found = collections.Counter()
    for service in {s for services in CONSUMERS.values() for s in services}:
        for letter in platform.dead_letters(service):
            found[(service, letter["reason"])] += 1
    return found


def test_poison_is_dead_lettered_at_once_and_never_applied(platform):
    campaign, enrolled = world(platform, partners=2)
    partners = [partner for partner, _ in enrolled]
    codes = [code for _, code in enrolled]
    rounds, real_orders = scale(5, 50), scale(40, 400)

    def attack():
        for n in range(rounds):
            publish(platform, poison_batch(campaign, partners[n % len(partners)]))
            eventlet.sleep(0.05)

    attacker = eventlet.spawn(attack)
    answers, errors = platform.convert_many(campaign, codes, real_orders, clients=4)
    attacker.wait()
    assert not errors

    sent = collections.Counter()
    for _, event_type, _, _, reason in poison_batch(campaign, partners[0]):
        for service in CONSUMERS[event_type]:
            sent[(service, reason)] += rounds
    dead = wait_for(lambda: (found := poison_dead_letters(platform)) == sent and found,
                    timeout=60, interval=0.5, message=f"dead letters {dict(sent)}")

    attributed = [a["conversion_id"] for a in answers if a["status"] == "ATTRIBUTED"]
    wait_for(lambda: len(commission_conversions(platform, partners)) >= len(attributed),
             timeout=60, interval=0.3, message="the real commissions")
    platform.wait_quiet()
    outcome = check("poison: one commission per real conversion, none for forged ones",
                    attributed, commission_conversions(platform, partners))
    with platform.rpc() as rpc:
        statuses = {rpc.campaigns.resolve_referral_code(code)["status"] for code in codes}
    applied = {
        "forged commissions": len(outcome.unexpected),
        "budget reserved beyond what is owed": budget_reserved(platform, campaign)
        - owed(platform, partners),
        "enrollments suspended": len(statuses - {"ACTIVE"}),
    }
    print(f"\npoison: sent {rounds * 6} messages ({rounds} rounds x 6 kinds) = "
          f"{sum(sent.values())} consumer deliveries; dead-lettered {sum(dead.values())} "
          f"{dict(dead)}; applied {applied}; {outcome.summary()}")
    assert applied == {"forged commissions": 0, "budget reserved beyond what is owed": 0,
                       "enrollments suspended": 0}
    assert_clean(outcome)
    assert all(letter["attempts"] == 1 for service in ("commissions", "campaigns")
               for letter in platform.dead_letters(service)), "poison was retried"
