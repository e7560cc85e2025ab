"""The platform over HTTP, every service a `nameko run` process as `make run` starts them.

Admin creates a brand; the brand creates and activates a campaign; a partner signs up,
is verified and activated by the admin, enrolls and gets a link; a visitor follows the
link (302 with the click id); the brand's server posts the order; the partner sees the
commission and the balance; the admin runs payouts; the partner sees the payout.
"""
from __future__ import annotations

import os
import pathlib
import subprocess
import uuid
from urllib.parse import parse_qs, urlsplit

import requests
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.utils import find_free_port

from tests.e2e.conftest import BIN, ROOT, config_for
from tests.support import wait_for

SERVICES = ("partners", "campaigns", "tracking", "commissions", "payouts", "identity",
            "webhooks", "bff")
SECRET = f"e2e-{uuid.uuid4().hex}{uuid.uuid4().hex}"
PARTNER_IP, VISITOR_IP = "203.0.113.10", "198.51.100.77"  # self-referral must not trip
CAMPAIGN = {"name": "Spring sale", "currency": "USD",
            "budget": {"amount": "1000.00", "currency": "USD"},
            "landing_url": "https://shop.example.com/spring",
            "terms": {"model": "CPS", "rate": "0.10", "attribution_window_days": 30,
                      "hold_days": 0}}
PARTNER = {"name": "Ana Ruiz", "email": "ana@example.com", "type": "influencer",
           "country": "ES", "payout_method": {"type": "paypal", "email": "ana@example.com"}}


class Http:
    def __init__(self, base_url: str, log_dir: pathlib.Path):
        self.base_url = base_url
        self.log_dir = log_dir
        self.session = requests.Session()

    def call(self, method: str, path: str, token: str | None = None, *, ip: str = PARTNER_IP,
             **kwargs) -> requests.Response:
        headers = {"X-Forwarded-For": ip, **kwargs.pop("headers", {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.session.request(method, self.base_url + path, headers=headers,
                                    allow_redirects=False, timeout=15, **kwargs)

    def ok(self, method: str, path: str, token: str | None = None, status: int = 200,
           **kwargs) -> dict:
        answer = self.call(method, path, token, **kwargs)
        assert answer.status_code == status, (method, path, answer.status_code, answer.text,
                                              self.logs_of(answer.headers["X-Request-Id"]))
        return answer.json()

    def logs_of(self, request_id: str, after: int = 20) -> str:
        """The services' log lines of one request (its id is their correlation id), each
        with the lines after it (a traceback)."""
        found = []
        for log in sorted(self.log_dir.glob("*.log")):
            lines = log.read_text(errors="replace").splitlines()
            for number, line in enumerate(lines):
                if request_id in line:
                    found.extend([f"{log.stem}: {line}", *lines[number + 1:number + after]])
        return "\n".join(found)[-6000:]


def mint_with_the_cli(role: str, subject: str) -> str:
    """The documented command (``make token``: ``alpes token mint``)."""
    result = subprocess.run(
        [str(BIN / "alpes"), "token", "mint", "--role", role, "--sub", subject, "--ttl", "600"],
        cwd=ROOT, env={**os.environ, "ALPES_JWT_SECRET": SECRET},
        capture_output=True, text=True, timeout=60, check=True)
    return result.stdout.strip()


def test_brand_partner_click_conversion_commission_payout_over_http(start_stack, e2e_env,
                                                                   tmp_path):
    port = find_free_port()
    start_stack(*SERVICES, extra_env={
        "ALPES_JWT_SECRET": SECRET, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "BFF_TRUST_FORWARDED_FOR": "true",
        "TRACKING_TOO_FAST_SECONDS": "0"})
    http = Http(f"http://127.0.0.1:{port}", tmp_path / "logs")
    assert http.ok("GET", "/health")["status"] == "ok"
    admin = mint_with_the_cli("admin", "ops")

    # the admin creates a brand and hands it a token
    brand_id = http.ok("POST", "/api/v1/brands", admin, 201,
                       json={"name": "Acme", "currency": "USD"})["brand_id"]
    brand = http.ok("POST", "/api/v1/admin/tokens", admin, 201,
                    json={"role": "brand", "sub": brand_id})["access_token"]

    # the brand creates and activates a campaign
    campaign_id = http.ok("POST", f"/api/v1/brands/{brand_id}/campaigns", brand, 201,
                          json=CAMPAIGN)["campaign_id"]
    assert http.ok("POST", f"/api/v1/campaigns/{campaign_id}/activate", brand)[
        "status"] == "ACTIVE"

    # a partner signs up; the admin verifies and activates it
    signed = http.ok("POST", "/api/v1/partners/signup", json=PARTNER, status=201)
    partner_id, partner = signed["partner"]["partner_id"], signed["token"]["access_token"]
    http.ok("POST", f"/api/v1/partners/{partner_id}/verify", admin)
    assert http.ok("POST", f"/api/v1/partners/{partner_id}/activate", admin)[
        "status"] == "ACTIVE"

    # the partner enrolls (once campaigns has heard of the activation) and gets a link
    def enroll():
        answer = http.call("POST", f"/api/v1/partners/{partner_id}/enrollments", partner,
                           json={"campaign_id": campaign_id})
        return answer.json() if answer.status_code == 201 else None

    enrollment = wait_for(enroll, timeout=30, interval=0.3, message="the enrollment")
    code = enrollment["referral_code"]
    assert enrollment["tracking_url"] == f"{http.base_url}/r/{code}"
    links = http.ok("GET", f"/api/v1/partners/{partner_id}/enrollments", partner)["items"]
    assert [link["referral_code"] for link in links] == [code]

    # a visitor follows the link (once tracking has heard of the enrollment)
    def follow():
        answer = http.call("GET", f"/r/{code}", ip=VISITOR_IP,
                           headers={"User-Agent": "Mozilla/5.0 e2e"})
        return answer if answer.status_code == 302 else None

    redirect = wait_for(follow, timeout=30, interval=0.3, message="the redirect")
    location = urlsplit(redirect.headers["Location"])
    assert location.netloc == "shop.example.com" and location.path == "/spring"
    [click_id] = parse_qs(location.query)["click_id"]

    # the brand's server reports the order
    conversion = http.ok("POST", "/api/v1/conversions", brand, 201, ip=VISITOR_IP, json={
        "order_id": "order-1", "amount": "200.00", "currency": "USD", "click_id": click_id})
    assert conversion["status"] == "ATTRIBUTED", conversion
    assert conversion["partner_id"] == partner_id

    # the partner sees the commission (approved: hold 0) and the balance
    def approved_commission():
        items = http.ok("GET", f"/api/v1/partners/{partner_id}/commissions", partner)["items"]
        return items if items and items[0]["status"] == "APPROVED" else None

    [commission] = wait_for(approved_commission, timeout=30, interval=0.5,
                            message="the approved commission")
    assert commission["amount"] == {"amount": "20.00", "currency": "USD"}
    [balance] = http.ok("GET", f"/api/v1/partners/{partner_id}/balance", partner)["balances"]
    assert (balance["currency"], balance["approved"]) == ("USD", "20.00")

    # the admin runs payouts; the partner sees the payout paid
    run = http.ok("POST", "/api/v1/payouts/runs", admin, 201,
                  json={"currency": "USD", "cycle": "e2e-1",
                        "min_amount": {"amount": "10.00", "currency": "USD"}})
    assert [entry["partner_id"] for entry in run["started"]] == [partner_id]

    def paid_payout():
        items = http.ok("GET", f"/api/v1/partners/{partner_id}/payouts", partner)["items"]
        return items[0] if items and items[0]["status"] == "PAID" else None

    payout = wait_for(paid_payout, timeout=30, interval=0.5, message="the paid payout")
    assert payout["amount"] == {"amount": "20.00", "currency": "USD"}
    assert "saga_log" not in payout
    wait_for(lambda: http.ok("GET", f"/api/v1/partners/{partner_id}/balance", partner)[
        "balances"][0]["paid"] == "20.00", timeout=15, message="the paid balance")

    # the brand's console reads what happened
    budget = http.ok("GET", f"/api/v1/campaigns/{campaign_id}/budget", brand)
    assert budget["reserved"] == {"amount": "20.00", "currency": "USD"}
    stats = http.ok("GET", f"/api/v1/campaigns/{campaign_id}/stats", brand)
    assert stats["totals"]["clicks"] >= 1 and stats["totals"]["conversions"] == 1
    orders = http.ok("GET", f"/api/v1/brands/{brand_id}/conversions", brand)["items"]
    assert [order["order_id"] for order in orders] == ["order-1"]
    owed = http.ok("GET", f"/api/v1/brands/{brand_id}/commissions?status=PAID", brand)
    assert [c["commission_id"] for c in owed["items"]] == [commission["commission_id"]]
    saga = http.ok("GET", f"/api/v1/payouts/{payout['payout_id']}", admin)["saga_log"]
    assert saga, "admins see the payout's saga log"

    # a refund after the payout: the conversion is reversed (a clawback for commissions)
    refunded = http.ok("POST", "/api/v1/conversions/refunds", brand,
                       json={"order_id": "order-1", "refund_id": "refund-1"})
    assert refunded["fully_reversed"] is True

    # the dashboards put it together; nobody else sees any of it
    board = http.ok("GET", "/api/v1/partner/dashboard", partner)
    assert board["profile"]["status"] == "ACTIVE" and board["unavailable"] == []
    assert board["enrollments"][0]["referral_code"] == code
    brand_board = http.ok("GET", f"/api/v1/brands/{brand_id}/dashboard", brand)
    assert brand_board["campaigns"][0]["campaign"]["campaign_id"] == campaign_id
    # the brand pays this partner its own rate: the next order earns 15 %, not 10 %
    own = http.ok("PUT", f"/api/v1/enrollments/{enrollment['enrollment_id']}/commission",
                  brand, json={"rate": "0.15"})
    assert own["commission"]["rate"] == "0.15" and own["commission_since"]
    refused = http.call("PUT", f"/api/v1/enrollments/{enrollment['enrollment_id']}/commission",
                        brand, json={"rate": "1.5"})
    assert (refused.status_code, list(refused.json()["error"]["fields"])) == (422, ["rate"])
    with ClusterRpcProxy(config_for(e2e_env), timeout=10) as rpc:  # tracking has heard of it
        wait_for(lambda: rpc.tracking.resolve_referral_codes([code])["items"][0][
            "revision"] == own["revision"], timeout=15, message="tracking's replica")
    http.ok("POST", "/api/v1/conversions", brand, 201, ip=VISITOR_IP,
            json={"order_id": "order-2", "amount": "200.00", "currency": "USD",
                  "referral_code": code.upper()})  # a coupon, as the customer typed it

    def second_commission():
        items = http.ok("GET", f"/api/v1/partners/{partner_id}/commissions", partner)["items"]
        return next((c for c in items if c["commission_id"] != commission["commission_id"]),
                    None)

    assert wait_for(second_commission, timeout=30, interval=0.5)["amount"] == {
        "amount": "30.00", "currency": "USD"}

    # the partner gives its link a code of its own: the new link works, the old one stops
    vanity = http.ok("PUT", f"/api/v1/enrollments/{enrollment['enrollment_id']}/referral-code",
                     partner, json={"code": "Ana-Spring"})
    assert vanity["tracking_url"] == f"{http.base_url}/r/ana-spring"

    def answers(path: str, status: int) -> bool:
        return http.call("GET", path, ip=VISITOR_IP).status_code == status

    wait_for(lambda: answers("/r/ANA-SPRING", 302), timeout=15, message="the new code")
    wait_for(lambda: answers(f"/r/{code}", 404), timeout=15, message="the old code gone")
    wait_for(lambda: http.ok("GET", "/api/v1/partner/dashboard", partner)["enrollments"][0][
        "referral_code"] == "ana-spring", timeout=15, message="the dashboard's link")

    stranger = http.ok("POST", "/api/v1/partners/signup", status=201,
                       json={**PARTNER, "email": "eve@example.com"})["token"]["access_token"]
    assert http.call("GET", f"/api/v1/partners/{partner_id}/payouts",
                     stranger).status_code == 404
