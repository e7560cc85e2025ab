"""Scenario 11 — access: nobody reaches what is not theirs, on the real platform.

Real objects are built through the BFF for two brands and two partners (A and B: a
campaign each, an enrollment, a click, a conversion, its commission, a paid payout).
Then, for EVERY route of the BFF's route table whose path takes an id, a table of
cases is generated — never written by hand, so a new route cannot skip it:

* 401 — no token, a garbage token, a token signed with another secret, an expired one;
* 403 — each role the route does not allow (the caller's own objects or not);
* 404 — each owner role the route allows, acting as A on B's object: exactly the answer
  of a missing object (same body, none of B's ids).

The served OpenAPI document must list exactly the routes with ids the table covers.
Every refusal is counted with the checker (expected refusals vs refusals observed); B's
world is read before and after (as admin) and must not have changed at all. Owners and
admins do reach the same objects (so the 404s are ownership, not bad ids), and ids
carried in bodies and query strings do not cross owners either.

The BFF's own tests (tests/integration/bff/test_security.py) check hand-picked routes
against fake services; this one is exhaustive by construction and runs against the
real services.
"""
from __future__ import annotations

import dataclasses
import re
import time
import uuid

import eventlet
import pytest

from services.bff.api import ROUTES
from services.bff.auth import ADMIN, BRAND, PARTNER, ROLES, TokenCodec
from services.bff.errors import NOT_FOUND_MESSAGE
from services.bff.routing import Route
from tests.reliability.bff_api import Api, cps_terms, settle
from tests.reliability.checker import assert_clean, check
from tests.webhook_receiver import Receiver

ID_VARIABLE = re.compile(r"\{(\w+_id)\}")
PAYPAL = {"type": "paypal", "email": "someone@example.com"}


def takes_an_id(route: Route) -> bool:
    return any(name.endswith("_id") for name in route.variables)


ID_ROUTES = [route for route in ROUTES if takes_an_id(route)]


@dataclasses.dataclass(frozen=True)
class Side:
    """One owner's world: a brand and a partner, and the objects they own. ``ids`` name
    them; ``partner_ids`` stand in for some of them when the caller is a partner (a
    webhook endpoint and its delivery are the brand's or the partner's, never both's)."""

    name: str
    brand_token: str
    partner_token: str
    ids: dict[str, str]
    partner_ids: dict[str, str] = dataclasses.field(default_factory=dict)

    def all_ids(self) -> list[str]:
        return [*self.ids.values(), *self.partner_ids.values()]


@dataclasses.dataclass(frozen=True)
class Case:
    route: Route
    caller: str
    token: str | None
    expect: int
    role: str | None = None  # the caller's role (None: a bad token)

    @property
    def key(self) -> str:
        return f"{self.route.method} {self.route.path} as {self.caller} -> {self.expect}"


# A valid body for every route with an id that takes one: the refusal must come from who
# is calling, never from a body the route would refuse anyway (422 comes after 401/403
# but before the handler's ownership check).
def bodies(b: Side) -> dict[str, dict]:
    return {
        "update_partner": {"payout_method": PAYPAL},
        "suspend_partner": {"reason": "access test"},
        "create_campaign": {
            "name": "Not yours", "currency": "USD", "budget": {"amount": "10.00",
                                                               "currency": "USD"},
            "landing_url": "https://shop.example.com", "terms": cps_terms("0.20")},
        "change_terms": {"terms": cps_terms("0.50")},
        "change_budget": {"budget": {"amount": "20.00", "currency": "USD"}},
        "change_admission": {"admission": "review"},
        "enroll": {"campaign_id": b.ids["campaign_id"]},
        "decline_commission": {"reason": "not yours"},
        "approve_commissions": {"commission_ids": [b.ids["commission_id"]]},
        "decline_enrollment": {"reason": "not yours"},
        "suspend_enrollment": {"note": "not yours"},
        "set_partner_commission": {"rate": "0.5"},
        "change_referral_code": {"code": f"not-yours-{uuid.uuid4().hex[:4]}"},
        "award_bonus": {"partner_id": b.ids["partner_id"],
                        "amount": {"amount": "1.00", "currency": "USD"}, "note": "not yours"},
        "create_api_key": {"name": "not yours", "scopes": ["reports:read"]},
        "invite_brand_user": {"email": f"not-yours-{uuid.uuid4().hex[:8]}@example.com",
                              "brand_role": "owner"},
        "update_webhook_endpoint": {"url": "http://127.0.0.1:9/not-yours"},
        "rotate_webhook_secret": {"grace_seconds": 0},
        "replay_webhook_endpoint": {"since": "2026-01-01T00:00:00Z"},
    }


# Every path variable of a route with an id, named after B's objects. A dead letter
# belongs to no brand or partner: its routes must be admin-only (checked below).
OWNERLESS = {"dead_letter_id"}


def values(b: Side, role: str | None = None) -> dict[str, str]:
    """B's objects as ``role`` would name its own."""
    own = b.partner_ids if role == PARTNER else {}
    return {**b.ids, **own, "dead_letter_id": str(uuid.uuid4())}


def url(route: Route, ids: dict[str, str]) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda match: ids[match.group(1)], route.path)


# --- the world ---------------------------------------------------------------------------------
def build_side(api: Api, name: str, hooks_url: str) -> Side:
    brand = api.brand(name=f"Brand {name}")
    campaign = api.campaign(brand, name=f"Campaign {name}")
    partner = api.partner(name=f"Partner {name}")
    code = api.enroll(partner, campaign)
    [enrollment] = api.ok("GET", f"/api/v1/partners/{partner.partner_id}/enrollments",
                          partner.token)["items"]
    conversion = api.convert(brand, click_id=api.click(code, ip=f"10.77.0.{ord(name)}"),
                             amount="150.00", customer_ip=f"10.77.0.{ord(name)}")
    assert conversion["status"] == "ATTRIBUTED", conversion
    key = api.ok("POST", f"/api/v1/brands/{brand.brand_id}/api-keys", api.admin,
                 expect=(201,), json={"name": f"key {name}", "scopes": ["reports:read"]})
    invited = api.ok("POST", f"/api/v1/brands/{brand.brand_id}/invitations", api.admin,
                     expect=(201,), json={"email": f"user-{uuid.uuid4().hex[:8]}@example.com",
                                          "brand_role": "member"})
    user = api.ok("POST", "/api/v1/auth/invitations/accept", expect=(201,),
                  json={"token": invited["token"], "password": "access test password"})
    pending = api.ok("POST", f"/api/v1/brands/{brand.brand_id}/invitations", api.admin,
                     expect=(201,), json={"email": f"pending-{uuid.uuid4().hex[:8]}@example.com",
                                          "brand_role": "member"})
    endpoint = api.ok("POST", "/api/v1/webhooks/endpoints", brand.token, expect=(201,), json={
        "url": hooks_url, "event_types": ["commission.created"]})
    test = api.ok("POST", f"/api/v1/webhooks/endpoints/{endpoint['endpoint_id']}/test",
                  brand.token, expect=(202,))
    partners_endpoint = api.ok("POST", "/api/v1/webhooks/endpoints", partner.token,
                               expect=(201,), json={"url": hooks_url,
                                                    "event_types": ["commission.created"]})
    partners_test = api.ok(
        "POST", f"/api/v1/webhooks/endpoints/{partners_endpoint['endpoint_id']}/test",
        partner.token, expect=(202,))
    return Side(name, brand.token, partner.token, partner_ids={
        "endpoint_id": partners_endpoint["endpoint_id"],
        "delivery_id": partners_test["delivery_id"]}, ids={
        "endpoint_id": endpoint["endpoint_id"], "delivery_id": test["delivery_id"],
        "api_key_id": key["api_key"]["api_key_id"], "account_id": user["account_id"],
        "invitation_id": pending["invitation"]["invitation_id"],
        "brand_id": brand.brand_id, "partner_id": partner.partner_id,
        "campaign_id": campaign.campaign_id, "conversion_id": conversion["conversion_id"],
        "enrollment_id": enrollment["enrollment_id"],
        "order_id": conversion["order_id"], "click_id": conversion["click_id"],
        "referral_code": code})


def with_commission(api: Api, side: Side) -> Side:
    """Wait for the side's commission (APPROVED at once: no hold); add its id."""
    partner_id = side.ids["partner_id"]
    [commission] = settle(lambda: api.ok("GET", f"/api/v1/partners/{partner_id}/commissions",
                                         api.admin)["items"],
                          lambda items: items and items[0]["status"] in ("APPROVED", "PAID"))
    return dataclasses.replace(side, ids={**side.ids,
                                          "commission_id": commission["commission_id"]})


def with_payout(api: Api, side: Side) -> Side:
    """Wait until the side's payout is PAID; add its id."""
    partner_id = side.ids["partner_id"]
    [payout] = settle(lambda: api.ok("GET", f"/api/v1/partners/{partner_id}/payouts",
                                     api.admin)["items"],
                      lambda items: items and items[0]["status"] == "PAID")
    return dataclasses.replace(side, ids={**side.ids, "payout_id": payout["payout_id"]})


@pytest.fixture(scope="module")
def world(platform):
    receiver = Receiver().__enter__()  # the brands' webhook endpoints answer 200

    def side(name: str) -> Side:
        api = Api(platform, name=f"access {name}")
        return with_commission(api, build_side(api, name, receiver.url))

    a, b = eventlet.GreenPool(2).imap(side, ("A", "B"))  # both worlds at once
    api = Api(platform, name="access")
    api.run_payouts(f"access-{uuid.uuid4().hex[:8]}")
    yield api, with_payout(api, a), with_payout(api, b)
    receiver.close()


# --- the table ---------------------------------------------------------------------------------
def bad_tokens(platform, a: Side) -> dict[str, str | None]:
    subject = a.ids["partner_id"]
    return {
        "no token": None,
        "a garbage token": "not-a-token",
        "a token of another secret": TokenCodec("x" * 64).mint(PARTNER, subject, 600),
        "an expired token": TokenCodec(platform.secret).mint(
            ADMIN, "ops", 60, now=time.time() - 3600),
    }


def cases(route: Route, platform, api: Api, a: Side, b: Side) -> list[Case]:
    """Everyone who must be refused on ``route`` when it names B's objects: bad tokens;
    each role the route does not allow, even B's own (a partner verifying itself);
    each owner role it allows, acting as A."""
    refused = [Case(route, caller, token, 401)
               for caller, token in bad_tokens(platform, a).items()]
    tokens = {side.name: {ADMIN: api.admin, BRAND: side.brand_token,
                          PARTNER: side.partner_token} for side in (a, b)}
    refused += [Case(route, f"{role} {side} (role not allowed)", tokens[side][role], 403,
                     role)
                for role in ROLES if role not in route.roles
                for side in ((a.name, b.name) if role != ADMIN else (a.name,))]
    refused += [Case(route, f"{role} A (not the owner)", tokens[a.name][role], 404, role)
                for role in route.roles if role != ADMIN]
    return refused


def send(api: Api, case: Case, b: Side):
    body = bodies(b).get(case.route.name) if case.route.body else None
    return api.call(case.route.method, url(case.route, values(b, case.role)), case.token,
                    expect=(case.expect,), json=body)


def answer_of_a_missing_object(api: Api, case: Case, b: Side) -> dict:
    missing = {name: str(uuid.uuid4()) for name in case.route.variables}
    body = bodies(b).get(case.route.name) if case.route.body else None
    answer = api.call(case.route.method, url(case.route, missing), case.token, expect=(404,),
                      json=body)
    return without_request_id(answer)


def without_request_id(answer) -> dict:
    error = answer.json()["error"]
    return {key: value for key, value in error.items() if key != "request_id"}


def b_world(api: Api, b: Side) -> dict:
    """Everything B owns, as the admin reads it."""
    ids = b.ids
    paths = [f"/api/v1/brands/{ids['brand_id']}",
             f"/api/v1/brands/{ids['brand_id']}/users",  # its pending invitation too
             f"/api/v1/brands/{ids['brand_id']}/campaigns",
             f"/api/v1/brands/{ids['brand_id']}/commissions",
             f"/api/v1/brands/{ids['brand_id']}/conversions",
             f"/api/v1/campaigns/{ids['campaign_id']}",
             f"/api/v1/campaigns/{ids['campaign_id']}/budget",
             f"/api/v1/campaigns/{ids['campaign_id']}/enrollments",
             f"/api/v1/partners/{ids['partner_id']}",
             f"/api/v1/partners/{ids['partner_id']}/enrollments",
             f"/api/v1/partners/{ids['partner_id']}/balance",
             f"/api/v1/partners/{ids['partner_id']}/payouts",
             f"/api/v1/conversions/{ids['conversion_id']}",
             f"/api/v1/commissions/{ids['commission_id']}",
             f"/api/v1/payouts/{ids['payout_id']}",
             f"/api/v1/webhooks/endpoints/{ids['endpoint_id']}",
             f"/api/v1/webhooks/endpoints/{b.partner_ids['endpoint_id']}"]
    return {path: api.ok("GET", path, api.admin) for path in paths}


# --- the scenario ------------------------------------------------------------------------------
def test_the_table_covers_every_route_with_an_id(platform, world):
    """The served document and the route table agree on which routes take an id, and
    the table can build a refusal case, a path and a body for each of them."""
    api, a, b = world
    document = api.ok("GET", "/api/v1/openapi.json")
    documented = {(method.upper(), path) for path, operations in document["paths"].items()
                  for method in operations if ID_VARIABLE.search(path)}
    assert documented == {(route.method, route.openapi_path) for route in ID_ROUTES}
    for route in ID_ROUTES:
        assert route.roles, f"{route.path} takes an id but is public: nothing refuses anyone"
        assert set(route.variables) <= set(values(b)), f"no object for {route.path}"
        if set(route.variables) & OWNERLESS:
            assert route.roles == (ADMIN,), f"{route.path}: whose is it?"
        if route.body:
            assert route.name in bodies(b), f"no valid body for {route.method} {route.path}"
        kinds = {case.expect for case in cases(route, platform, api, a, b)}
        assert 401 in kinds and (403 in kinds or 404 in kinds), route.path


def test_every_route_with_an_id_refuses_other_roles_and_owners(platform, world):
    api, a, b = world
    before = b_world(api, b)
    table = [case for route in ID_ROUTES for case in cases(route, platform, api, a, b)]
    refused, leaks, unlike_missing = [], [], []
    for case in table:
        answer = send(api, case, b)
        if answer.status_code == case.expect:
            refused.append(case.key)
        if any(value in answer.text for value in b.all_ids()):
            leaks.append(case.key)
        if case.expect == 404 and answer.status_code == 404:
            if (without_request_id(answer) != answer_of_a_missing_object(api, case, b)
                    or answer.json()["error"]["message"] != NOT_FOUND_MESSAGE):
                unlike_missing.append(case.key)
    covered = {(case.route.method, case.route.openapi_path) for case in table}
    print(f"access: {len(ID_ROUTES)} routes with ids, {len(table)} cases "
          f"({sum(c.expect == 401 for c in table)} x 401, "
          f"{sum(c.expect == 403 for c in table)} x 403, "
          f"{sum(c.expect == 404 for c in table)} x 404); leaks {len(leaks)}, "
          f"404s unlike a missing object {len(unlike_missing)}")
    assert covered == {(route.method, route.openapi_path) for route in ID_ROUTES}
    assert_clean(check("access: every other role and owner refused",
                       [case.key for case in table], refused))
    assert leaks == [] and unlike_missing == [], (leaks[:5], unlike_missing[:5])
    assert api.server_errors == []
    assert b_world(api, b) == before, "a refused request changed B's objects"


def test_owners_and_admins_reach_what_the_others_were_refused(world):
    """The control: with the same ids, B's own tokens and the admin's read every object
    (so the 404s above were ownership, not ids that do not exist)."""
    api, _, b = world
    tokens = {ADMIN: api.admin, BRAND: b.brand_token, PARTNER: b.partner_token}
    reads = [(route, role) for route in ID_ROUTES if route.method == "GET"
             for role in route.roles]
    reached = [f"{route.path} as {role}" for route, role in reads
               if api.call("GET", url(route, values(b, role)), tokens[role]).status_code
               == 200]
    assert_clean(check("access: owners reach their own objects",
                       [f"{route.path} as {role}" for route, role in reads], reached))


def test_ids_in_bodies_and_query_strings_do_not_cross_owners(world):
    """Brand A cannot report an order on B's click or code (403), refund B's order
    (404: orders are per brand), nor filter its lists down to B's objects (empty)."""
    api, a, b = world
    refusals = {
        "conversion on B's click": api.call(
            "POST", "/api/v1/conversions", a.brand_token, expect=(403,), json={
                "order_id": f"x-{uuid.uuid4().hex[:8]}", "amount": "10.00", "currency": "USD",
                "click_id": b.ids["click_id"]}),
        "conversion on B's code": api.call(
            "POST", "/api/v1/conversions", a.brand_token, expect=(403,), json={
                "order_id": f"x-{uuid.uuid4().hex[:8]}", "amount": "10.00", "currency": "USD",
                "referral_code": b.ids["referral_code"]}),
        "refund of B's order": api.call(
            "POST", "/api/v1/conversions/refunds", a.brand_token, expect=(404,),
            json={"order_id": b.ids["order_id"]}),
    }
    filtered = {
        f"/api/v1/brands/{a.ids['brand_id']}/commissions": (
            a.brand_token, {"partner_id": b.ids["partner_id"]}),
        f"/api/v1/brands/{a.ids['brand_id']}/conversions": (
            a.brand_token, {"campaign_id": b.ids["campaign_id"]}),
        f"/api/v1/partners/{a.ids['partner_id']}/commissions": (
            a.partner_token, {"campaign_id": b.ids["campaign_id"]}),
        f"/api/v1/partners/{a.ids['partner_id']}/conversions": (
            a.partner_token, {"campaign_id": b.ids["campaign_id"]}),
    }
    for path, (token, query) in filtered.items():
        assert api.ok("GET", path, token, params=query)["items"] == [], path
    refused = [name for name, answer in refusals.items() if answer.status_code in (403, 404)]
    assert_clean(check("access: ids in bodies refused", refusals, refused))
    assert not any(b.ids["partner_id"] in answer.text for answer in refusals.values())
    assert api.ok("GET", f"/api/v1/brands/{b.ids['brand_id']}/conversions", api.admin)[
        "total"] == 1
