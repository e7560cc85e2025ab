"""Scenario 10 — hostile input, against the real platform through the BFF.

* Every operation of the served OpenAPI document is fuzzed with schemathesis (valid
  inputs and inputs that break the schema), sent with a valid token of one of the
  route's roles, half the time on real objects that token owns (so the input gets past
  the 404s to the services). No answer may be a 5xx, and no body may carry a traceback,
  an exception class, a module or a file path. The number of inputs tried is printed.
* Bodies over ``max_body_bytes`` are refused with 413 on every route (declared length
  and chunked); a body of exactly the limit is not.
* JSON nested deeper than ``max_json_depth`` is refused with 400 on every route with a
  body, even 60 KB of brackets; the limit itself is accepted.
* SQL- and script-looking strings are stored and returned exactly as sent (partner
  names, suspension reasons, brand and campaign names, decline reasons, order, customer
  and refund ids), never executed: every service's tables are all still there, and the
  redirect's HTML error page does not carry markup from the URL.
* Text holding NUL characters is refused at the edge (400), and a NUL in a visitor's
  User-Agent is dropped: PostgreSQL cannot store NUL, and either used to be a 500.

This module's platform keeps its data in PostgreSQL, the strictest store (it refuses
what SQLite keeps, such as NUL characters). tests/integration/bff/test_validation_table.py
already checks each route's validation with fake services; this runs the real services
under generated input.
"""
from __future__ import annotations

import collections
import copy
import dataclasses
import json
import os
import re
import uuid

import eventlet
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi import checks
from sqlalchemy import create_engine, inspect

from common.nameko.config import db_uri
from common.seedwork.infrastructure.database import drop_database
from services.bff.api import ROUTES
from services.bff.auth import ADMIN, BRAND, PARTNER
from tests.reliability.bff_api import Api, cps_terms, settle
from tests.reliability.checker import assert_clean, check
from tests.reliability.conftest import scale
from tests.reliability.platform import Brand, Partner, Platform

PG_SERVER = os.environ.get("TEST_PG_SERVER", "postgresql+psycopg2://postgres@127.0.0.1:5432")
EXAMPLES = scale(5, 100)  # per operation and generation mode
# Beyond "no 5xx": every answer is one the document declares (status, content type,
# headers, body schema), and input that breaks the schema is refused.
CONFORMANCE = [checks.status_code_conformance, checks.content_type_conformance,
               checks.response_headers_conformance, checks.response_schema_conformance,
               checks.negative_data_rejection]
SERVICES_WITH_DATA = ("partners", "campaigns", "tracking", "commissions", "payouts")
ROUTE_BY_NAME = {route.name: route for route in ROUTES}

# What must never reach a client: Python's traceback lines, exception class names,
# dotted module paths of our code or its libraries, and file paths.
LEAKS = (
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r'File "[^"]*", line \d+'),
    re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception|Warning)\b"),
    re.compile(r"\b(?:services|common|nameko|sqlalchemy|marshmallow|werkzeug|kombu|amqp|"
               r"eventlet|psycopg2|sqlite3|builtins)\.[A-Za-z_]"),
    re.compile(r"(?:/[\w.-]+)+\.py\b"),
)

HOSTILE = (
    "Robert'); DROP TABLE partners;--",
    "' OR '1'='1' --",
    "1; DELETE FROM commissions WHERE 1=1; --",
    "\"; UPDATE partners SET status='ACTIVE'; --",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(document.cookie)>",
    "\"><svg/onload=alert(1)>",
    "javascript:alert(1)//",
    "{{7*7}} ${7*7} #{7*7} %s %n",
    "../../../../etc/passwd",
    "line\r\nSet-Cookie: session=stolen",
    "\u202etxt.exe \U0001f680 Ünïcødé \\ \" '",
)


@pytest.fixture(scope="module")
def platform():
    """Every service as a process, their databases on the PostgreSQL server (dropped
    afterwards)."""
    prefix = f"{PG_SERVER}/alpes_rel_{uuid.uuid4().hex[:8]}_"
    running = Platform(extra_env={"DB_PREFIX": prefix, "DB_SUFFIX": ""})
    try:
        yield running.start()
    finally:
        running.stop()
        for uri in running.config["DB_URIS"].values():
            drop_database(uri)


def leaks_in(text: str, sent: str) -> list[str]:
    """What in an answer looks like internals, leaving out what the request itself
    carried (a field name or value echoed back is the caller's own text)."""
    return [match.group(0) for pattern in LEAKS for match in pattern.finditer(text)
            if match.group(0) not in sent]


# --- the objects fuzzed inputs may point at ------------------------------------------------
@dataclasses.dataclass
class Owner:
    token: str
    ids: dict[str, str]


def build_targets(api: Api) -> dict[str, Owner]:
    """One brand, campaign, partner, conversion, commission and payout; the tokens that
    own them (the admin may name all of them)."""
    brand = api.brand(name="Fuzzed brand")
    campaign = api.campaign(brand, name="Fuzzed campaign")
    partner = api.partner(name="Fuzzed partner")
    code = api.enroll(partner, campaign)
    conversion = api.convert(brand, click_id=api.click(code, ip="10.88.0.1"), amount="80.00",
                             customer_ip="10.88.0.1")
    [commission] = settle(lambda: api.ok(
        "GET", f"/api/v1/partners/{partner.partner_id}/commissions", api.admin)["items"],
        lambda items: items and items[0]["status"] == "APPROVED")
    api.run_payouts(f"fuzz-{uuid.uuid4().hex[:8]}")
    [payout] = settle(lambda: api.ok(
        "GET", f"/api/v1/partners/{partner.partner_id}/payouts", api.admin)["items"],
        lambda items: items and items[0]["status"] == "PAID")
    ids = {"brand_id": brand.brand_id, "campaign_id": campaign.campaign_id,
           "partner_id": partner.partner_id, "conversion_id": conversion["conversion_id"],
           "commission_id": commission["commission_id"], "payout_id": payout["payout_id"],
           "code": code}
    return {ADMIN: Owner(api.admin, ids),
            BRAND: Owner(brand.token, {k: v for k, v in ids.items() if k != "partner_id"}),
            PARTNER: Owner(partner.token, {k: v for k, v in ids.items()
                                           if k not in ("brand_id", "campaign_id")})}


def document_without_security(document: dict) -> dict:
    """The served document with its security requirements dropped: the test sends a
    valid token itself, so schemathesis must not replace or remove it."""
    fuzzed = copy.deepcopy(document)
    for operations in fuzzed["paths"].values():
        for operation in operations.values():
            operation.pop("security", None)
    fuzzed.pop("security", None)
    return fuzzed


@dataclasses.dataclass
class Tally:
    tried: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    statuses: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    server_errors: list = dataclasses.field(default_factory=list)
    leaks: list = dataclasses.field(default_factory=list)
    nonconforming: list = dataclasses.field(default_factory=list)
    nothing_to_negate: list = dataclasses.field(default_factory=list)

    def record(self, label: str, case, answer, headers: dict) -> None:
        self.tried[label] += 1
        self.statuses[answer.status_code] += 1
        sent = f"{answer.request.url} {answer.request.body!r} {case.body!r} " \
               f"{case.path_parameters!r} {case.query!r}"
        if answer.status_code >= 500:
            self.server_errors.append((label, answer.status_code, answer.text[:300],
                                       case.as_curl_command()[:1000]))
        found = leaks_in(answer.text, sent) + leaks_in(json.dumps(dict(answer.headers)), sent)
        if found:
            self.leaks.append((label, answer.status_code, found[:3], answer.text[:300]))
        try:
            case.validate_response(answer, checks=CONFORMANCE, headers=headers)
        except FailureGroup as failures:
            self.nonconforming.append((label, [f.title for f in failures.exceptions],
                                       answer.status_code, answer.text[:200],
                                       case.as_curl_command()[:1000]))


def fuzz(operation, route, owners: dict[str, Owner], base_url: str, tally: Tally,
         mode: GenerationMode) -> None:
    roles = list(route.roles) or [None]

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode), role=st.sampled_from(roles),
           on_real_objects=st.booleans())
    def send(case, role, on_real_objects):
        headers = {"X-Forwarded-For": "192.0.2.99"}
        if role:
            headers["Authorization"] = f"Bearer {owners[role].token}"
        if on_real_objects and case.path_parameters:  # a public route: the admin's objects
            owned = owners[role or ADMIN].ids
            case.path_parameters = {name: owned.get(name, value)
                                    for name, value in case.path_parameters.items()}
        answer = case.call(base_url=base_url, headers=headers, allow_redirects=False,
                           timeout=30)
        tally.record(operation.label, case, answer, headers)

    send()


def test_every_endpoint_fuzzed_from_the_openapi_document(platform):
    api = Api(platform, name="fuzz")
    owners = build_targets(api)
    served = api.ok("GET", "/api/v1/openapi.json")
    schema = schemathesis.openapi.from_dict(document_without_security(served))
    tally = Tally()
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        route = ROUTE_BY_NAME[operation.definition.raw["operationId"]]
        fuzz(operation, route, owners, platform.base_url, tally, GenerationMode.POSITIVE)
        try:
            fuzz(operation, route, owners, platform.base_url, tally, GenerationMode.NEGATIVE)
        except Unsatisfiable:  # no parameter and no body: nothing can break its schema
            tally.nothing_to_negate.append(operation.label)
    print(f"hostile input: {sum(tally.tried.values())} inputs tried on {len(tally.tried)} of "
          f"{len(operations)} operations ({EXAMPLES} per operation and mode at most; "
          f"nothing to negate in {tally.nothing_to_negate}), statuses "
          f"{dict(sorted(tally.statuses.items()))}; 5xx {len(tally.server_errors)}, "
          f"leaks {len(tally.leaks)}, answers unlike the document {len(tally.nonconforming)}")
    assert_clean(check("hostile input: every documented operation fuzzed",
                       [op.label for op in operations], list(tally.tried)))
    assert tally.server_errors == [], tally.server_errors[:5]
    assert tally.leaks == [], tally.leaks[:5]
    assert tally.nonconforming == [], tally.nonconforming[:5]


# --- size and depth ---------------------------------------------------------------------------
def path_of(route, ids: dict[str, str]) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>",
                  lambda match: ids.get(match.group(1), str(uuid.uuid4())), route.path)


def token_for(api: Api, route) -> str | None:
    return api.admin if ADMIN in route.roles else (
        api.platform.token(route.roles[0], str(uuid.uuid4())) if route.roles else None)


def padded(size: int) -> bytes:
    """A JSON object of exactly ``size`` bytes."""
    frame = b'{"padding":""}'
    return frame[:-2] + b"x" * (size - len(frame)) + frame[-2:]


def test_oversized_bodies_are_refused_on_every_route(platform):
    api = Api(platform, name="size")
    limit = platform.config["BFF"]["max_body_bytes"]
    tried = []
    for route in ROUTES:
        path, token = path_of(route, {"code": "nocode"}), token_for(api, route)
        headers = {"Content-Type": "application/json"}
        declared = api.call(route.method, path, token, expect=(413,), headers=headers,
                            data=padded(limit + 1))
        chunked = api.call(route.method, path, token, expect=(413,), headers=headers,
                           data=iter([padded(limit + 1)[:1000], padded(limit + 1)[1000:]]))
        tried += [declared, chunked]
        if route.body:  # the limit itself is not "too large": refused for its content
            at_limit = api.call(route.method, path, token, expect=(422,),
                                headers=headers, data=padded(limit))
            tried.append(at_limit)
    refused = [answer for answer in tried if answer.status_code == 413]
    print(f"hostile input: {len(tried)} oversized/at-limit bodies, {len(refused)} refused "
          f"with 413; unexpected {len(api.unexpected)}")
    assert all(answer.json()["error"]["code"] == "payload_too_large" for answer in refused)
    assert api.unexpected == [], api.unexpected[:5]


def nested(depth: int) -> str:
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


def test_deeply_nested_json_is_refused_on_every_route_with_a_body(platform):
    api = Api(platform, name="depth")
    depth = platform.config["BFF"]["max_json_depth"]
    headers = {"Content-Type": "application/json"}
    bodies = {
        "one level too deep": (nested(depth + 1), (400,)),
        "deep inside a field": ('{"name":' + nested(depth) + "}", (400,)),
        "60 KB of brackets": ("[" * 30000 + "]" * 30000, (400,)),
        "unbalanced brackets": ("{" * 60000, (400,)),
        "at the limit": (nested(depth), (422,)),  # the schema refuses it, not the depth
        "brackets inside a string": ('{"name":"' + "[{" * 5000 + '"}', (422,)),
    }
    routes = [route for route in ROUTES if route.body]
    answers = collections.Counter()
    for route in routes:
        path, token = path_of(route, {}), token_for(api, route)
        for name, (body, expected) in bodies.items():
            answer = api.call(route.method, path, token, expect=expected, headers=headers,
                              data=body.encode())
            answers[(name, answer.status_code)] += 1
            if answer.status_code == 400:
                assert answer.json()["error"]["code"] == "malformed_request", answer.text
    print(f"hostile input: nested bodies on {len(routes)} routes: {dict(answers)}")
    assert api.unexpected == [] and api.server_errors == [], api.unexpected[:5]


def test_text_with_nul_characters_never_reaches_a_database(platform, shop):
    """A NUL anywhere in a JSON body's text is refused at the edge on every route with a
    body; in a visitor's User-Agent it is dropped and the click recorded."""
    api = Api(platform, name="nul")
    routes = [route for route in ROUTES if route.body]
    bodies = ({"name": "nul\u0000byte"}, {"nul\u0000key": 1}, {"deep": [["\u0000"]]})
    for route in routes:
        path, token = path_of(route, {}), token_for(api, route)
        for body in bodies:
            answer = api.call(route.method, path, token, expect=(400,), json=body)
            assert answer.status_code != 400 or "NUL" in answer.json()["error"]["message"]
    follow = api.call("GET", f"/r/{shop.code}", ip="10.98.0.1", expect=(302,),
                      headers={"User-Agent": "Mozilla/5.0\u0000 (nul)"})
    print(f"hostile input: NUL text on {len(routes)} routes x {len(bodies)} bodies refused; "
          f"a NUL User-Agent redirected ({follow.status_code})")
    assert "click_id=" in follow.headers.get("Location", "")
    assert api.unexpected == [] and api.server_errors == [], api.unexpected[:5]


# --- stored, returned, never executed ---------------------------------------------------------
def tables(platform) -> dict[str, set[str]]:
    """Every service's tables, read from its database."""
    found = {}
    for service in SERVICES_WITH_DATA:
        engine = create_engine(db_uri(platform.config, service))
        try:
            found[service] = set(inspect(engine).get_table_names())
        finally:
            engine.dispose()
    return found


@dataclasses.dataclass
class Shop:
    """A brand whose commissions are held (so they can be declined), and its partner."""

    api: Api
    brand: Brand
    partner: Partner
    code: str


@pytest.fixture(scope="module")
def shop(platform):
    api = Api(platform, name="verbatim")
    brand = api.brand()
    campaign = api.campaign(brand, terms=cps_terms("0.10", hold_days=30))
    partner = api.partner()
    return Shop(api, brand, partner, api.enroll(partner, campaign))


def partner_texts(api: Api, text: str) -> dict[str, str]:
    """A partner signs up with ``text`` as its name and is suspended for ``text``."""
    signed = api.sign_up(name=text)
    name = api.ok("GET", f"/api/v1/partners/{signed.partner_id}", signed.token,
                  ip=signed.ip)["name"]
    api.admit(signed)
    api.ok("POST", f"/api/v1/partners/{signed.partner_id}/suspend", api.admin,
           json={"reason": text})
    reason = api.ok("GET", f"/api/v1/partners/{signed.partner_id}", api.admin)[
        "suspension_reason"]
    return {"partner name": name, "suspension reason": reason}


def brand_texts(api: Api, text: str) -> dict[str, str]:
    """A brand named ``text`` creates a campaign with ``text`` as name and description."""
    brand = api.brand(name=text)
    name = api.ok("GET", f"/api/v1/brands/{brand.brand_id}", brand.token)["name"]
    created = api.ok("POST", f"/api/v1/brands/{brand.brand_id}/campaigns", brand.token,
                     expect=(201,), json={
                         "name": text, "description": text, "currency": "USD",
                         "budget": {"amount": "100.00", "currency": "USD"},
                         "landing_url": "https://shop.example.com", "terms": cps_terms("0.1")})
    campaign = api.ok("GET", f"/api/v1/campaigns/{created['campaign_id']}", brand.token)
    return {"brand name": name, "campaign name": campaign["name"],
            "campaign description": campaign["description"]}


def order_texts(shop_: Shop, text: str, visitor_ip: str) -> dict[str, str]:
    """An order whose id and customer id are ``text``, refunded with ``text`` as refund
    id; its commission declined for ``text``."""
    api, brand = shop_.api, shop_.brand
    conversion = api.convert(brand, click_id=api.click(shop_.code, ip=visitor_ip),
                             amount="50.00", order_id=text, customer_ip=visitor_ip,
                             customer_id=text)
    api.ok("POST", "/api/v1/conversions/refunds", brand.token,
           json={"order_id": text, "refund_id": text, "amount": "10.00"})
    read = api.ok("GET", f"/api/v1/conversions/{conversion['conversion_id']}", brand.token)
    [commission] = settle(lambda: [item for item in api.pages(
        f"/api/v1/brands/{brand.brand_id}/commissions", brand.token)
        if item["conversion_id"] == conversion["conversion_id"]])
    path = f"/api/v1/commissions/{commission['commission_id']}"
    api.ok("POST", f"{path}/decline", brand.token, json={"reason": text})
    return {"order id": read["order_id"], "customer id": read["customer_id"],
            "refund id": read["refunds"][0]["refund_id"],
            "decline reason": api.ok("GET", path, brand.token)["reason"]}


def stored_and_read(shop_: Shop, n: int, text: str) -> list[tuple[str, str, str]]:
    """(place, sent, returned) for every place ``text`` can be stored (own HTTP session:
    several strings go at once)."""
    own = dataclasses.replace(shop_, api=Api(shop_.api.platform, name=f"verbatim {n}"))
    returned = {**partner_texts(own.api, text), **brand_texts(own.api, text),
                **order_texts(own, text, visitor_ip=f"10.99.0.{n + 1}")}
    assert own.api.unexpected == [] and own.api.server_errors == [], own.api.unexpected[:3]
    return [(place, text, value) for place, value in returned.items()]


def test_sql_and_script_strings_are_stored_verbatim_and_never_executed(platform, shop):
    api = shop.api
    before = tables(platform)
    assert all(before.values()), before
    pool = eventlet.GreenPool(4)
    stored = [item for items in pool.imap(lambda numbered: stored_and_read(shop, *numbered),
                                          enumerate(HOSTILE)) for item in items]
    verbatim = [item for item in stored if item[1] == item[2]]
    altered = [item for item in stored if item[1] != item[2]]
    for text in HOSTILE:  # as filters and path values: refused, not run
        for path in (f"/api/v1/partners?country={text}", f"/api/v1/payouts?cycle={text}",
                     f"/api/v1/partners/{text}"):
            api.call("GET", path, api.admin, expect=(404, 422))
    page = api.call("GET", "/r/<img src=x onerror=alert(1)>", expect=(404,),
                    headers={"Accept": "text/html"})
    print(f"hostile input: {len(HOSTILE)} hostile strings x {len(verbatim) // len(HOSTILE)} "
          f"places returned verbatim: {len(verbatim)}, altered: {len(altered)}")
    assert altered == [], altered[:5]
    assert page.headers["Content-Type"].startswith("text/html") and "<img" not in page.text
    assert tables(platform) == before
    assert api.unexpected == [] and api.server_errors == [], api.unexpected[:5]
