"""The platform driven the way its users drive it: through the BFF's HTTP API only.

``Api`` sends requests with a bearer token and an ``X-Forwarded-For`` address (the
platform's BFF trusts it, so each actor has its own client IP), counts every answer by
status, and records each one whose status the caller did not declare as expected::

    api = Api(platform)
    brand = api.brand()
    campaign = api.campaign(brand, terms={"model": "CPS", "rate": "0.10", ...})
    partner = api.partner()                 # signed up, verified and activated
    code = api.enroll(partner, campaign)    # once campaigns and tracking know it
    click_id = api.click(code)
    conversion = api.convert(brand, click_id=click_id, amount="120.00")
    assert not api.unexpected and not api.server_errors

One ``Api`` per green thread: each has its own HTTP session (connection pool).

With several BFF instances (``Platform(instances=2)``) the ``Api`` is also what a load
balancer and a well-behaved client together do: each request goes to the next BFF in
turn, and a refused connection or a 503 (an instance killed mid-request, an RPC whose
worker died) is sent again, to the next BFF, after a short pause -- the same request,
so its idempotency key (order id, refund id, payout cycle) makes the retry safe. Each
retry is counted in ``retried``; with one BFF nothing is retried. A retried POST that
answers 409 (a signup whose lost first attempt was applied: the email is taken now) is
kept in ``ambiguous``, not in ``unexpected``: the caller gave it up, as a user would.
"""
from __future__ import annotations

import collections
import itertools
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from tests.reliability.platform import Brand, Campaign, Partner
from tests.support import wait_for

ADMIN, BRAND, PARTNER = "admin", "brand", "partner"
ADMIN_IP = "192.0.2.10"
PAYPAL = "paypal"
_partner_ips = (f"100.64.{n // 250}.{n % 250 + 1}" for n in itertools.count())
RETRY_ATTEMPTS = 20          # behind several BFFs: ~20 s of retries before giving up
RETRY_PAUSE_SECONDS = 1.0


def cps_terms(rate: str, *, hold_days: int = 0, minimum: str | None = None,
              maximum: str | None = None, currency: str = "USD") -> dict:
    terms = {"model": "CPS", "rate": rate, "attribution_window_days": 30,
             "hold_days": hold_days}
    for name, value in (("min", minimum), ("max", maximum)):
        if value is not None:
            terms[name] = {"amount": value, "currency": currency}
    return terms


class UnexpectedAnswer(AssertionError):
    pass


class Api:
    def __init__(self, platform, *, name: str = "api"):
        self.platform = platform
        self.name = name
        self.base_url = platform.base_url
        self.base_urls = getattr(platform, "base_urls", [platform.base_url])
        self._turn = itertools.cycle(range(len(self.base_urls)))
        self.session = requests.Session()
        self.admin = platform.token(ADMIN, "reliability-ops")
        self.statuses: collections.Counter = collections.Counter()
        self.unexpected: list[tuple] = []
        self.server_errors: list[tuple] = []
        self.retried: collections.Counter = collections.Counter()
        self.ambiguous: list[tuple] = []  # a retried POST refused as done already (409)

    # the one way out -----------------------------------------------------------------------
    def call(self, method: str, path: str, token: str | None = None, *,
             expect: Iterable[int] = (200,), ip: str = ADMIN_IP, json: Any = None,
             headers: dict | None = None, **kwargs) -> requests.Response:
        """Send one request; count its status; remember it if it was not expected."""
        sent = {"X-Forwarded-For": ip, **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        retries_before = sum(self.retried.values())
        answer = self._send(method, path, headers=sent, json=json, **kwargs)
        self.statuses[answer.status_code] += 1
        seen = (method, path, answer.status_code, answer.text[:300],
                answer.headers.get("X-Request-Id"))
        if answer.status_code >= 500:
            self.server_errors.append(seen)
        if answer.status_code not in tuple(expect):
            retried = sum(self.retried.values()) > retries_before
            if retried and method == "POST" and answer.status_code == 409:
                self.ambiguous.append(seen)  # the lost first attempt was applied
            else:
                self.unexpected.append(seen)
        return answer

    def _send(self, method: str, path: str, **kwargs) -> requests.Response:
        retrying = len(self.base_urls) > 1
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            base_url = self.base_urls[next(self._turn)]
            last = attempt == RETRY_ATTEMPTS or not retrying
            try:
                answer = self.session.request(method, base_url + path, allow_redirects=False,
                                              timeout=30, **kwargs)
            except requests.ConnectionError:
                if last:
                    raise
                self.retried["connection"] += 1
            else:
                if answer.status_code != 503 or last:
                    return answer
                self.retried[503] += 1
            time.sleep(RETRY_PAUSE_SECONDS)
        raise AssertionError("unreachable")

    def ok(self, method: str, path: str, token: str | None = None, *,
           expect: Iterable[int] = (200,), **kwargs) -> Any:
        """``call`` whose answer must be one of ``expect``: its JSON body."""
        answer = self.call(method, path, token, expect=expect, **kwargs)
        if answer.status_code not in tuple(expect):
            raise UnexpectedAnswer(f"{method} {path} -> {answer.status_code} {answer.text[:500]}")
        return answer.json() if answer.content else None

    def pages(self, path: str, token: str, **query) -> list[dict]:
        """Every item of a paged list."""
        items, page = [], 1
        while True:
            params = {**query, "page": page, "page_size": 100}
            result = self.ok("GET", path, token, params=params)
            items += result["items"]
            if len(items) >= result["total"] or not result["items"]:
                return items
            page += 1

    # building a world ------------------------------------------------------------------------
    def brand(self, name: str = "Brand", currency: str = "USD") -> Brand:
        brand_id = self.ok("POST", "/api/v1/brands", self.admin, expect=(201,),
                           json={"name": name, "currency": currency})["brand_id"]
        token = self.ok("POST", "/api/v1/admin/tokens", self.admin, expect=(201,),
                        json={"role": BRAND, "sub": brand_id})["access_token"]
        return Brand(brand_id, token)

    def campaign(self, brand: Brand, *, terms: dict | None = None, name: str = "Campaign",
                 budget: str = "1000000.00", currency: str = "USD", **fields) -> Campaign:
        body = {"name": name, "currency": currency,
                "budget": {"amount": budget, "currency": currency},
                "landing_url": "https://shop.example.com/landing",
                "terms": terms or cps_terms("0.10"), **fields}
        campaign_id = self.ok("POST", f"/api/v1/brands/{brand.brand_id}/campaigns", brand.token,
                              expect=(201,), json=body)["campaign_id"]
        self.ok("POST", f"/api/v1/campaigns/{campaign_id}/activate", brand.token)
        return Campaign(campaign_id, brand)

    def sign_up(self, *, name: str = "Partner", ip: str | None = None) -> Partner:
        """A new partner account (PENDING): its id and the token signup answered with."""
        ip = ip or next(_partner_ips)
        email = f"p-{uuid.uuid4().hex[:12]}@example.com"
        signed = self.ok("POST", "/api/v1/partners/signup", expect=(201,), ip=ip, json={
            "name": name, "email": email, "type": "affiliate", "country": "ES",
            "payout_method": {"type": PAYPAL, "email": email}})
        return Partner(signed["partner"]["partner_id"], signed["token"]["access_token"], ip)

    def admit(self, partner: Partner) -> None:
        """The admin verifies (KYC) and activates the partner."""
        self.ok("POST", f"/api/v1/partners/{partner.partner_id}/verify", self.admin)
        self.ok("POST", f"/api/v1/partners/{partner.partner_id}/activate", self.admin)

    def partner(self, *, name: str = "Partner") -> Partner:
        partner = self.sign_up(name=name)
        self.admit(partner)
        return partner

    def try_enroll(self, partner: Partner, campaign: Campaign) -> str | None:
        """The referral code, or None while campaigns has not yet heard that the partner
        is active: it knows partners from their activation on, so until that event
        arrives the partner is unknown there (404, as any unknown object; 409
        ``partner_not_eligible`` from a campaigns of before), an expected refusal --
        longer when a campaigns instance was killed with the event in hand. A 404 that
        lasts (a campaign that does not exist) ends in ``enroll``'s timeout."""
        answer = self.call("POST", f"/api/v1/partners/{partner.partner_id}/enrollments",
                           partner.token, expect=(201, 404, 409), ip=partner.ip,
                           json={"campaign_id": campaign.campaign_id})
        return answer.json()["referral_code"] if answer.status_code == 201 else None

    def enroll(self, partner: Partner, campaign: Campaign, timeout: float = 30) -> str:
        """Enroll, then wait until tracking knows the code. Returns the code."""
        code = wait_for(lambda: self.try_enroll(partner, campaign), timeout=timeout,
                        interval=0.2, message="the enrollment")
        wait_for(lambda: self.try_click(code), timeout=timeout, interval=0.2,
                 message="tracking to learn the code")
        return code

    # traffic --------------------------------------------------------------------------------
    def try_click(self, code: str, ip: str = "198.51.100.250") -> str | None:
        """Follow a referral link: the click id, or None for a link tracking does not know
        (yet): 404, expected while its enrollment is on its way to tracking."""
        answer = self.call("GET", f"/r/{code}", expect=(302, 404), ip=ip,
                           headers={"User-Agent": "reliability"})
        if answer.status_code != 302:
            return None
        return parse_qs(urlsplit(answer.headers["Location"]).query)["click_id"][0]

    def click(self, code: str, ip: str = "198.51.100.10") -> str:
        click_id = self.try_click(code, ip)
        if click_id is None:
            raise UnexpectedAnswer(f"the link {code} is unknown")
        return click_id

    def convert(self, brand: Brand, *, amount: str, click_id: str | None = None,
                referral_code: str | None = None, order_id: str | None = None,
                customer_ip: str | None = None, customer_id: str | None = None,
                currency: str = "USD") -> dict:
        body = {"order_id": order_id or f"o-{uuid.uuid4().hex[:16]}", "amount": amount,
                "currency": currency}
        body.update({key: value for key, value in (
            ("click_id", click_id), ("referral_code", referral_code),
            ("customer_ip", customer_ip), ("customer_id", customer_id)) if value})
        return self.ok("POST", "/api/v1/conversions", brand.token, expect=(201,), json=body)

    def refund(self, brand: Brand, order_id: str, *, amount: str | None = None,
               refund_id: str | None = None) -> dict:
        body = {"order_id": order_id}
        body.update({key: value for key, value in (("amount", amount),
                                                   ("refund_id", refund_id)) if value})
        return self.ok("POST", "/api/v1/conversions/refunds", brand.token, json=body)

    def run_payouts(self, cycle: str, min_amount: str = "0.01", currency: str = "USD") -> dict:
        return self.ok("POST", "/api/v1/payouts/runs", self.admin, expect=(201,),
                       json={"currency": currency, "cycle": cycle,
                             "min_amount": {"amount": min_amount, "currency": currency}})

    def balance(self, partner_id: str) -> list[dict]:
        return self.ok("GET", f"/api/v1/partners/{partner_id}/balance", self.admin)["balances"]


def settle(read: Callable[[], Any], ready: Callable[[Any], bool] = bool, *,
           timeout: float = 60, interval: float = 0.5) -> Any:
    """Poll ``read`` until it answers the same twice in a row and ``ready`` accepts it:
    the asynchronous pipeline has nothing left to do (no bare sleep, no guessed delay)."""
    previous: list[Any] = []

    def stable():
        current = read()
        settled = bool(previous) and previous[-1] == current and ready(current)
        previous[:] = [current]
        return [current] if settled else None

    try:
        [settled] = wait_for(stable, timeout=timeout, interval=interval,
                             message="the pipeline to settle")
    except AssertionError as timed_out:
        raise AssertionError(f"{timed_out}; last state: {_brief(previous[-1])}") from None
    return settled


def _brief(state: Any) -> str:
    """A readable summary of a (possibly large) snapshot for a failure message."""
    if isinstance(state, dict):
        return "{" + ", ".join(f"{key}: {_brief(value)}" for key, value in state.items()) + "}"
    if isinstance(state, (list, tuple)) and len(state) > 5:
        return f"<{len(state)} items>"
    return repr(state)[:300]
