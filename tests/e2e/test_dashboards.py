"""The dashboards from the BFF's read model, every service a `nameko run` process.

A conversion goes through tracking and commissions as usual; neither tells the BFF about
it: tracking's stats timer and commissions' balances timer each publish one batch of
what changed (``stats_changed``, ``balances_changed``, every 2 s by default), and the
partner's dashboard shows the conversion and the commission within about that interval
-- from one read of the BFF's database, with no RPC behind it.
"""
from __future__ import annotations

import time
import uuid
from decimal import Decimal

import requests
from nameko.testing.utils import find_free_port

from services.bff.tokens import mint
from tests.support import wait_for

SERVICES = ("partners", "campaigns", "tracking", "commissions", "bff")
SECRET = f"e2e-{uuid.uuid4().hex}{uuid.uuid4().hex}"
SNAPSHOT_INTERVAL = 2.0  # config.yaml's default for both timers
CAMPAIGN = {"name": "Autumn sale", "currency": "USD",
            "budget": {"amount": "500.00", "currency": "USD"},
            "landing_url": "https://shop.example.com/autumn",
            "terms": {"model": "CPS", "rate": "0.10", "attribution_window_days": 30,
                      "hold_days": 30}}
PARTNER = {"name": "Bea Lopez", "email": "bea@example.com", "type": "affiliate",
           "country": "ES", "payout_method": {"type": "paypal", "email": "bea@example.com"}}


class Api:
    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()

    def call(self, method, path, token=None, status=200, ip="203.0.113.10", **kwargs):
        headers = {"X-Forwarded-For": ip}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        answer = self.session.request(method, self.base + path, headers=headers, timeout=15,
                                      allow_redirects=False, **kwargs)
        assert answer.status_code == status, (method, path, answer.status_code, answer.text)
        return answer.json() if answer.content else None


def earned(board: dict) -> Decimal:
    return sum((Decimal(money["amount"]) for day in board["chart"]["days"]
                for money in day["earnings"]), Decimal(0))


def test_a_conversion_reaches_both_dashboards_within_the_snapshot_interval(start_stack):
    port = find_free_port()
    start_stack(*SERVICES, extra_env={
        "ALPES_JWT_SECRET": SECRET, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "BFF_TRUST_FORWARDED_FOR": "true",
        "TRACKING_TOO_FAST_SECONDS": "0"})
    api = Api(f"http://127.0.0.1:{port}")
    admin = mint("admin", "ops", SECRET, 600)
    brand_id = api.call("POST", "/api/v1/brands", admin, 201,
                        json={"name": "Acme", "currency": "USD"})["brand_id"]
    brand = mint("brand", brand_id, SECRET, 600)
    campaign_id = api.call("POST", f"/api/v1/brands/{brand_id}/campaigns", brand, 201,
                           json=CAMPAIGN)["campaign_id"]
    api.call("POST", f"/api/v1/campaigns/{campaign_id}/activate", brand)
    signed = api.call("POST", "/api/v1/partners/signup", status=201, json=PARTNER)
    partner_id, partner = signed["partner"]["partner_id"], signed["token"]["access_token"]

    # straight after sign-up: the dashboard answers (from partners, if the read model
    # has not heard of the partner yet), empty
    board = api.call("GET", "/api/v1/partner/dashboard", partner)
    assert board["profile"]["partner_id"] == partner_id and board["enrollments"] == []
    api.call("POST", f"/api/v1/partners/{partner_id}/verify", admin)
    api.call("POST", f"/api/v1/partners/{partner_id}/activate", admin)
    code = wait_for(lambda: (api.session.post(
        f"{api.base}/api/v1/partners/{partner_id}/enrollments", timeout=15,
        headers={"Authorization": f"Bearer {partner}", "X-Forwarded-For": "203.0.113.10"},
        json={"campaign_id": campaign_id}).json().get("referral_code")),
        timeout=30, interval=0.3, message="the enrollment")
    redirect = wait_for(lambda: (lambda r: r if r.status_code == 302 else None)(
        api.session.get(f"{api.base}/r/{code}", allow_redirects=False, timeout=15,
                        headers={"X-Forwarded-For": "198.51.100.77"})),
        timeout=30, interval=0.3, message="the redirect")
    click_id = redirect.headers["Location"].split("click_id=")[1]

    # the order, and the time it takes to show on the dashboards
    reported = time.monotonic()
    conversion = api.call("POST", "/api/v1/conversions", brand, 201, ip="198.51.100.77",
                          json={"order_id": "A-1", "amount": "200.00", "currency": "USD",
                                "click_id": click_id})
    assert conversion["status"] == "ATTRIBUTED"

    def partner_board():
        board = api.call("GET", "/api/v1/partner/dashboard", partner)
        link = board["enrollments"][0] if board["enrollments"] else {}
        stats = link.get("stats") or {}
        if stats.get("conversions") == 1 and earned(board) == Decimal("20.00"):
            return board
        return None

    board = wait_for(partner_board, timeout=30, interval=0.1, message="the partner's board")
    shown_after = time.monotonic() - reported
    assert board["balance"]["balances"] == [{
        "currency": "USD", "pending": "20.00", "approved": "0.00", "in_payout": "0.00",
        "paid": "0.00", "adjustments": "0.00", "payable": "0.00"}]
    assert board["stats"]["campaigns"][0]["totals"]["revenue"] == {"amount": "200.00",
                                                                   "currency": "USD"}
    assert board["unavailable"] == []
    # a batch every 2 s from each timer, plus delivery: well within two intervals and a
    # margin for a loaded test machine
    assert shown_after < 2 * SNAPSHOT_INTERVAL + 4, shown_after

    def brand_board(count: int):
        board = api.call("GET", f"/api/v1/brands/{brand_id}/dashboard", brand)
        return board if board["pending_commissions"]["count"] == count else None

    board = wait_for(lambda: brand_board(1), timeout=15, interval=0.2,
                     message="the brand's commission to approve")
    assert board["pending_commissions"]["amounts"] == [{"amount": "20.00", "currency": "USD"}]
    [summary] = board["campaigns"]
    assert summary["budget"]["reserved"] == {"amount": "20.00", "currency": "USD"}
    assert summary["stats"]["totals"]["conversions"] == 1

    # the brand approves it (on its own page): the dashboard's count follows
    [pending] = api.call("GET", f"/api/v1/brands/{brand_id}/commissions?status=PENDING",
                         brand)["items"]
    api.call("POST", f"/api/v1/commissions/{pending['commission_id']}/approve", brand)
    wait_for(lambda: brand_board(0), timeout=15, interval=0.2, message="nothing to approve")
    board = wait_for(lambda: (lambda b: b if b["balance"]["balances"][0]["approved"] ==
                              "20.00" else None)(
        api.call("GET", "/api/v1/partner/dashboard", partner)), timeout=15, interval=0.2,
        message="the approved balance")
    assert earned(board) == Decimal("20.00")  # approving earns nothing more
