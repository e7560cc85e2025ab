"""Scenario 9 — load with invariants, through the BFF's HTTP API only.

Ten clients (green threads) send mixed traffic for a while (15 s in CI, 60 s with
``ALPES_CHAOS=long``): partners sign up and are admitted, enroll and share links;
visitors click; brands' servers report orders (some twice), refund them (partly, fully,
some refunds retried) and approve held commissions; the admin runs payouts (some cycles
twice). Every answer is counted by status: no 5xx, and every 4xx is one the client
expected (a link tracking does not know yet, an enrollment before campaigns heard of
the activation, approving a commission a refund just reversed).

Then, once the pipeline has settled, the test checks what it computed itself from what
it sent, with the documented rules (CPS: rate x amount, clamped to [min, max], rounded
once HALF_UP to cents; a refund leaves ``earned x (order - refunded) / order``, rounded):

* every accepted conversion has exactly one commission, and nothing else has one;
* every commission earned and had reversed exactly that;
* the ledger: for every partner, paid + approved + pending + in_payout + adjustments
  equals the sum over its attributed conversions of what they still earn.
"""
from __future__ import annotations

import collections
import dataclasses
import itertools
import random
import time
import uuid
from decimal import ROUND_HALF_UP, Decimal

import eventlet
import requests

from tests.reliability.bff_api import Api, UnexpectedAnswer, cps_terms, settle
from tests.reliability.checker import assert_clean, check
from tests.reliability.conftest import scale
from tests.reliability.platform import Brand, Campaign, Partner, Platform

CLIENTS = 10
VISITORS = itertools.count(1)
SECONDS = scale(15, 60)
CENTS = Decimal("0.01")
IN_FLIGHT_PAYOUTS = ("PENDING", "HELD", "CONFIRMING", "COMPENSATING")
BUCKETS = ("pending", "approved", "in_payout", "paid", "adjustments")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


@dataclasses.dataclass(frozen=True)
class Terms:
    """The CPS terms a campaign was created with, priced the documented way."""

    rate: str
    hold_days: int = 0
    minimum: str | None = None
    maximum: str | None = None

    def as_json(self) -> dict:
        return cps_terms(self.rate, hold_days=self.hold_days, minimum=self.minimum,
                         maximum=self.maximum)

    def earned(self, amount: Decimal) -> Decimal:
        raw = Decimal(self.rate) * amount
        if self.minimum is not None:
            raw = max(raw, Decimal(self.minimum))
        if self.maximum is not None:
            raw = min(raw, Decimal(self.maximum))
        return cents(raw)


# Auto-approved after the hold (timer), and held for a month (brands approve by hand).
TERMS = (Terms("0.10"), Terms("0.075", hold_days=30, minimum="0.50", maximum="25.00"))


@dataclasses.dataclass(frozen=True)
class Link:
    code: str
    partner: Partner
    campaign: Campaign
    terms: Terms


@dataclasses.dataclass
class Sale:
    """An accepted (ATTRIBUTED) conversion and the refunds sent for it."""

    conversion_id: str
    order_id: str
    partner_id: str
    brand: Brand
    amount: Decimal
    earned: Decimal
    refunded: Decimal = Decimal("0")

    @property
    def left(self) -> Decimal:
        return self.amount - self.refunded

    @property
    def owed(self) -> Decimal:
        """What the commission is still worth: earned x the share of the order kept."""
        if self.left <= 0:
            return Decimal("0.00")
        return cents(self.earned * (self.left / self.amount))


@dataclasses.dataclass
class World:
    brands: list[Brand]
    campaigns: list[tuple[Campaign, Terms]]
    partners: list[Partner]
    links: list[Link]
    recruits: list[tuple[Partner, Campaign, Terms]] = dataclasses.field(default_factory=list)
    new_links: list[Link] = dataclasses.field(default_factory=list)
    sales: dict[str, Sale] = dataclasses.field(default_factory=dict)
    refused_conversions: list[str] = dataclasses.field(default_factory=list)
    cycles: list[str] = dataclasses.field(default_factory=list)
    sent: collections.Counter = dataclasses.field(default_factory=collections.Counter)


def build_world(platform) -> World:
    """Two brands, two campaigns each (one per terms), six partners in two campaigns each."""
    api = Api(platform, name="setup")
    brands = [api.brand(name=f"Brand {n}") for n in range(2)]
    campaigns = [(api.campaign(brand, terms=terms.as_json()), terms)
                 for brand in brands for terms in TERMS]
    partners = [api.partner(name=f"Partner {n}") for n in range(6)]
    wanted = [(partner, *campaigns[(n + shift) % len(campaigns)])
              for n, partner in enumerate(partners) for shift in (0, 1)]
    pool = eventlet.GreenPool(CLIENTS)
    codes = list(pool.imap(lambda job: Api(platform).enroll(job[0], job[1]), wanted))
    links = [Link(code, partner, campaign, terms)
             for code, (partner, campaign, terms) in zip(codes, wanted, strict=True)]
    return World(brands, campaigns, partners, links)


class Client:
    """One green thread of traffic: picks a weighted action until the deadline."""

    def __init__(self, number: int, platform, world: World, deadline: float):
        self.number = number
        self.api = Api(platform, name=f"client-{number}")
        self.world = world
        self.deadline = deadline
        self.rng = random.Random(number)
        self.clicks: list[tuple[Link, str, str]] = []
        self.sales: list[Sale] = []  # refunded only by this client: no refund races
        self.errors: list[str] = []
        self.actions = {self.follow_link: 3, self.report_order: 4, self.refund: 2,
                        self.approve: 1, self.recruit: 1, self.run_payouts: 0.3,
                        self.read: 1}

    def run(self) -> None:
        actions, weights = list(self.actions), list(self.actions.values())
        while time.monotonic() < self.deadline:
            action = self.rng.choices(actions, weights)[0]
            try:
                action()
            except UnexpectedAnswer:
                pass  # already recorded by the Api, reported at the end
            except requests.RequestException as error:
                self.errors.append(f"{action.__name__}: {error!r}")
            self.world.sent[action.__name__] += 1

    @staticmethod
    def visitor_ip() -> str:
        """A new visitor each time: tracking credits the last click from the customer's
        IP (docs/services/tracking.md), so a shared IP would move credit between links."""
        n = next(VISITORS)
        return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"

    # traffic --------------------------------------------------------------------------------
    def follow_link(self) -> None:
        link, ip = self.rng.choice(self.world.links), self.visitor_ip()
        self.clicks.append((link, self.api.click(link.code, ip=ip), ip))

    def report_order(self) -> None:
        if not self.clicks:
            self.follow_link()
        link, click_id, ip = self.clicks.pop(0)
        amount = Decimal(self.rng.randint(100, 50000)) / 100
        conversion = self.api.convert(link.campaign.brand, click_id=click_id, amount=str(amount),
                                      customer_ip=ip)
        if self.rng.random() < 0.1:  # the brand's server sends the order again
            again = self.api.convert(link.campaign.brand, click_id=click_id,
                                     amount=str(amount), customer_ip=ip,
                                     order_id=conversion["order_id"])
            self.world.sent["repeated_order"] += 1
            if again["conversion_id"] != conversion["conversion_id"]:
                self.errors.append(f"order {conversion['order_id']} accepted twice")
        if conversion["status"] != "ATTRIBUTED":
            self.world.refused_conversions.append(conversion["conversion_id"])
            return
        if (conversion["partner_id"], conversion["campaign_id"]) != (
                link.partner.partner_id, link.campaign.campaign_id):
            self.errors.append(f"order {conversion['order_id']} credited to "
                               f"{conversion['partner_id']}, not to {link.partner.partner_id}")
        sale = Sale(conversion["conversion_id"], conversion["order_id"],
                    link.partner.partner_id, link.campaign.brand, amount,
                    link.terms.earned(amount))
        self.world.sales[sale.conversion_id] = sale
        self.sales.append(sale)

    def refund(self) -> None:
        open_sales = [sale for sale in self.sales if sale.left > 0]
        if not open_sales:
            return self.report_order()
        sale = self.rng.choice(open_sales)
        partial = self.rng.random() < 0.6 and sale.left > CENTS
        amount = (Decimal(self.rng.randint(1, int(sale.left / CENTS) - 1)) * CENTS
                  if partial else None)
        refund_id = f"rf-{uuid.uuid4().hex[:10]}"
        answer = self.api.refund(sale.brand, sale.order_id, refund_id=refund_id,
                                 amount=str(amount) if amount else None)
        sale.refunded += amount if amount else sale.left
        if self.rng.random() < 0.2:  # a retried refund: the same id changes nothing
            again = self.api.refund(sale.brand, sale.order_id, refund_id=refund_id,
                                    amount=str(amount) if amount else None)
            self.world.sent["repeated_refund"] += 1
            if again["reversed"] != answer["reversed"]:
                self.errors.append(f"refund {refund_id} applied twice: {again['reversed']}")
        if Decimal(answer["reversed"]["amount"]) != sale.refunded:
            self.errors.append(f"{sale.order_id}: reversed {answer['reversed']}, "
                               f"sent {sale.refunded}")

    def approve(self) -> None:
        """A brand approves some of its held commissions. A refund may have reversed one
        meanwhile, or a payout taken it: 409 is then the expected answer."""
        brand = self.rng.choice(self.world.brands)
        held = self.api.ok("GET", f"/api/v1/brands/{brand.brand_id}/commissions", brand.token,
                           params={"status": "PENDING", "page_size": 5})["items"]
        for commission in held:
            self.api.call("POST", f"/api/v1/commissions/{commission['commission_id']}/approve",
                          brand.token, expect=(200, 409))

    def recruit(self) -> None:
        """Move the partner pipeline one step: sign up and admit a partner; or enroll a
        recruit (409 until campaigns has heard of the activation); or make a new link
        available once tracking knows it (404 until then)."""
        step = self.rng.random()
        if step < 0.3 or not (self.world.recruits or self.world.new_links):
            partner = self.api.sign_up(name=f"Recruit of client {self.number}")
            self.api.admit(partner)
            self.world.partners.append(partner)
            self.world.recruits.append((partner, *self.rng.choice(self.world.campaigns)))
        elif self.world.recruits and (step < 0.65 or not self.world.new_links):
            partner, campaign, terms = self.world.recruits.pop(0)
            code = self.api.try_enroll(partner, campaign)
            if code is None:
                self.world.recruits.append((partner, campaign, terms))
            else:
                self.world.new_links.append(Link(code, partner, campaign, terms))
        else:
            link, ip = self.world.new_links.pop(0), self.visitor_ip()
            click_id = self.api.try_click(link.code, ip=ip)
            if click_id is None:
                self.world.new_links.append(link)
            else:
                self.world.links.append(link)
                self.clicks.append((link, click_id, ip))

    def run_payouts(self) -> None:
        """A new cycle, or (sometimes) the last one again: nobody is paid twice."""
        if self.world.cycles and self.rng.random() < 0.25:
            cycle = self.world.cycles[-1]
            self.world.sent["repeated_cycle"] += 1
        else:
            cycle = f"load-{uuid.uuid4().hex[:8]}"
            self.world.cycles.append(cycle)
        self.api.run_payouts(cycle)

    def read(self) -> None:
        partner = self.rng.choice(self.world.partners)
        brand = self.rng.choice(self.world.brands)
        path, token, ip = self.rng.choice([
            (f"/api/v1/partners/{partner.partner_id}/balance", partner.token, partner.ip),
            ("/api/v1/partner/dashboard", partner.token, partner.ip),
            (f"/api/v1/partners/{partner.partner_id}/commissions", partner.token, partner.ip),
            (f"/api/v1/brands/{brand.brand_id}/dashboard", brand.token, "192.0.2.20"),
            (f"/api/v1/brands/{brand.brand_id}/conversions", brand.token, "192.0.2.20"),
        ])
        self.api.ok("GET", path, token, ip=ip)


# after the traffic ---------------------------------------------------------------------------
def payouts_in_flight(api: Api, world: World) -> int:
    """Payouts of this world's partners still between steps (the platform may be shared
    with other scenarios, whose payouts are theirs to judge)."""
    mine = {partner.partner_id for partner in world.partners}
    return sum(1 for status in IN_FLIGHT_PAYOUTS
               for payout in api.pages("/api/v1/payouts", api.admin, status=status)
               if payout["partner_id"] in mine)


def snapshot(api: Api, world: World, platform: Platform) -> dict:
    commissions = [item for brand in world.brands for item in api.pages(
        f"/api/v1/brands/{brand.brand_id}/commissions", api.admin)]
    return {
        "commissions": sorted((c["commission_id"], c["conversion_id"], c["status"],
                               c["earned"]["amount"], (c["reversed"] or {}).get("amount"))
                              for c in commissions),
        "balances": {p.partner_id: api.balance(p.partner_id) for p in world.partners},
        "payouts_in_flight": payouts_in_flight(api, world),
        "queued": platform.queued(),
    }


def settled(state: dict, expected_commissions: int) -> bool:
    return (len(state["commissions"]) >= expected_commissions
            and state["payouts_in_flight"] == 0 and not state["queued"]
            and all(status != "IN_PAYOUT" for _, _, status, _, _ in state["commissions"]))


def bucket_total(balances: dict[str, list[dict]], bucket: str) -> Decimal:
    return sum((Decimal(entry[bucket]) for entries in balances.values() for entry in entries),
               Decimal("0.00"))


def ledger_total(balances: list[dict]) -> Decimal:
    assert all(entry["currency"] == "USD" for entry in balances), balances
    return sum((Decimal(entry[bucket]) for entry in balances for bucket in BUCKETS),
               Decimal("0.00"))


def run_traffic(platform, world: World, seconds: float = SECONDS) -> list[Client]:
    deadline = time.monotonic() + seconds
    clients = [Client(n, platform, world, deadline) for n in range(CLIENTS)]
    pool = eventlet.GreenPool(CLIENTS)
    for client in clients:
        pool.spawn(client.run)
    pool.waitall()
    return clients


def assert_every_answer_expected(clients: list[Client], world: World,
                                 seconds: float = SECONDS) -> None:
    """No 5xx; no 4xx the client did not expect; no answer contradicting another."""
    apis = [client.api for client in clients]
    statuses = sum((api.statuses for api in apis), collections.Counter())
    server_errors = [seen for api in apis for seen in api.server_errors]
    unexpected = [seen for api in apis for seen in api.unexpected]
    errors = [error for client in clients for error in client.errors]
    print(f"load: {CLIENTS} clients x {seconds:g} s: {sum(statuses.values())} requests "
          f"{dict(sorted(statuses.items()))}; actions {dict(world.sent)}; "
          f"{len(world.sales)} conversions attributed, {len(world.refused_conversions)} not; "
          f"{len(world.partners)} partners, {len(world.links)} links, "
          f"{len(world.cycles)} payout cycles; 5xx {len(server_errors)}, "
          f"unexpected {len(unexpected)}, contradictions {len(errors)}")
    assert not server_errors, server_errors[:5]
    assert not unexpected, unexpected[:5]
    assert not errors, errors[:5]
    assert world.sales and world.cycles, "the traffic never reached conversions and payouts"


def assert_invariants(state: dict, world: World) -> None:
    commissions = state["commissions"]
    print(f"load: settled: commissions by status "
          f"{dict(collections.Counter(status for _, _, status, *_ in commissions))}; "
          f"ledger totals { {b: str(bucket_total(state['balances'], b)) for b in BUCKETS} }")
    assert_clean(check("load: one commission per attributed conversion", world.sales,
                       [conversion_id for _, conversion_id, *_ in commissions]))
    assert_clean(check(
        "load: each commission earned and reversed what its terms and refunds say",
        {(s.conversion_id, str(s.earned), str(s.earned - s.owed)) for s in world.sales.values()},
        [(conversion_id, earned, reversed_ or "0.00")
         for _, conversion_id, _, earned, reversed_ in commissions]))
    owed = collections.defaultdict(Decimal)
    for sale in world.sales.values():
        owed[sale.partner_id] += sale.owed
    assert_clean(check(
        "load: ledger (paid + approved + pending + in_payout + adjustments) per partner",
        {(p.partner_id, str(owed[p.partner_id] + Decimal("0.00"))) for p in world.partners},
        [(partner_id, str(ledger_total(balances)))
         for partner_id, balances in state["balances"].items()]))


def test_mixed_traffic_keeps_every_invariant(platform):
    world = build_world(platform)
    assert_every_answer_expected(run_traffic(platform, world), world)
    api = Api(platform, name="checker")
    state = settle(lambda: snapshot(api, world, platform),
                   lambda state: settled(state, len(world.sales)), timeout=90, interval=1.0)
    assert_invariants(state, world)
    assert api.ok("GET", "/api/v1/admin/dead-letters", api.admin)["items"] == []
