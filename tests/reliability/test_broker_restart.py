"""Broker restart under load: every client connection of the platform's vhost is closed
(as a RabbitMQ restart would do) twice while conversions flow. The services reconnect by
themselves, and every accepted conversion ends with exactly one commission.

Clients behave like a brand's server: a postback that failed (its connection was cut
mid-call) is sent again with the same order id, which tracking answers idempotently.
"""
import uuid

import eventlet
from nameko.standalone.rpc import ClusterRpcProxy

from tests.reliability.checker import assert_clean, check
from tests.reliability.conftest import scale
from tests.reliability.faults import close_broker_connections
from tests.support import wait_for

CLIENTS = 8


def test_every_accepted_conversion_gets_one_commission_across_broker_restarts(platform):
    brand = platform.new_brand()
    campaign = platform.new_campaign(brand)
    partner = platform.new_partner()
    code = platform.enroll(partner, campaign)
    total = scale(500, 5000)
    orders = [f"broker-{uuid.uuid4().hex[:10]}" for _ in range(total)]
    accepted: dict[str, str] = {}  # order id -> conversion id
    retries = []

    def post(order_id):
        for attempt in range(5):
            try:
                with ClusterRpcProxy(platform.config, timeout=10) as rpc:
                    result = rpc.tracking.record_conversion({
                        "brand_id": brand.brand_id, "order_id": order_id, "amount": "40.00",
                        "currency": "USD", "referral_code": code,
                        "customer_ip": "198.51.100.20"})
                accepted[order_id] = result["conversion_id"]
                return
            except Exception as error:  # the connection was cut mid-call: send it again
                retries.append(f"{type(error).__name__}")
                eventlet.sleep(0.2 * (attempt + 1))

    def client(chunk):
        for order_id in chunk:
            post(order_id)

    pool = eventlet.GreenPool(CLIENTS)
    for n in range(CLIENTS):
        pool.spawn(client, orders[n::CLIENTS])
    wait_for(lambda: len(accepted) >= total // 4, timeout=120, message="traffic")
    assert close_broker_connections(platform.vhost, at_least=6) >= 6
    wait_for(lambda: len(accepted) >= total * 2 // 3, timeout=120, message="more traffic")
    close_broker_connections(platform.vhost, at_least=6)
    pool.waitall()

    assert len(accepted) == total, f"{total - len(accepted)} orders never accepted"
    wait_for(lambda: len(platform.commissions_of(partner)) >= total, timeout=180,
             interval=0.5, message="a commission for every conversion")
    commissions = platform.commissions_of(partner)
    outcome = check("broker restart under load", accepted.values(),
                    [c["conversion_id"] for c in commissions])
    assert_clean(outcome)
    assert all(c["amount"]["amount"] == "4.00" for c in commissions)
    for service in ("partners", "campaigns", "tracking", "commissions", "payouts", "bff"):
        assert platform.running(service), f"{service} died"
        # the fault really hit it, twice, and it reconnected by itself
        assert platform.logs(service).count("Connection to broker lost") >= 2, service
    print(f"client retries after cut connections: {len(retries)}")
