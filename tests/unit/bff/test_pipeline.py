"""The request pipeline: authentication, roles, ownership, validation, limits, errors."""
import json

import pytest

from common.seedwork.errors import Conflict
from tests.unit.bff.harness import Harness, new_id

PARTNER = {"partner_id": None, "name": "Ana", "email": "ana@example.com", "type": "media",
           "country": "ES", "status": "ACTIVE", "kyc_status": "VERIFIED",
           "payout_method": None, "suspension_reason": None, "registered_at": "x",
           "updated_at": "x", "revision": 1, "internal_note": "never shown"}


def partner(partner_id):
    return {**PARTNER, "partner_id": partner_id}


@pytest.fixture
def h():
    return Harness({"partners.get_partner": partner,
                    "partners.change_payout_method": lambda pid, method: partner(pid),
                    "partners.register_partner": {"partner_id": new_id()}})


def test_the_answer_is_dumped_through_its_schema(h):
    partner_id = new_id()
    answer = h.request("GET", f"/api/v1/partners/{partner_id}", h.token("partner", partner_id))
    assert answer.status_code == 200
    assert answer.json()["partner_id"] == partner_id and "internal_note" not in answer.json()
    assert answer.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("header", [None, "Basic YTpi", "Bearer nonsense", "Bearer a.b.c"])
def test_no_valid_token_is_401(h, header):
    headers = {"Authorization": header} if header else {}
    answer = h.request("GET", f"/api/v1/partners/{new_id()}", headers=headers)
    assert answer.status_code == 401 and answer.error["code"] == "unauthorized"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert h.rpc.calls == []


def test_a_role_not_allowed_is_403(h):
    answer = h.request("GET", "/api/v1/partners", h.token("partner"))
    assert answer.status_code == 403 and h.rpc.calls == []


def test_another_partners_profile_is_404_like_a_missing_one(h):
    theirs = new_id()
    answer = h.request("GET", f"/api/v1/partners/{theirs}", h.token("partner"))
    assert answer.status_code == 404 and answer.error["code"] == "not_found"
    # The one RPC is the caller's own standing (a suspended partner is refused, cached
    # for seconds); nothing of the other partner is asked for.
    assert [name for name, _ in h.rpc.calls] in ([], ["partners.get_partner"])
    assert theirs not in str(h.rpc.calls)


def test_a_brand_never_reads_a_partner(h):
    answer = h.request("GET", f"/api/v1/partners/{new_id()}", h.token("brand"))
    assert answer.status_code in (403, 404) and h.rpc.calls == []


def test_the_actor_id_in_a_body_is_ignored_for_the_tokens(h):
    me, victim = new_id(), new_id()
    method = {"type": "paypal", "email": "me@example.com"}
    answer = h.request("PATCH", f"/api/v1/partners/{me}", h.token("partner", me),
                       json_body={"payout_method": method, "partner_id": victim})
    assert answer.status_code == 200
    assert h.rpc.called("partners.change_payout_method") == [(me, method)]


def test_server_controlled_fields_are_refused_and_nothing_is_called(h):
    body = {"name": "Eve", "email": "eve@example.com", "type": "media", "country": "ES",
            "status": "ACTIVE", "kyc_status": "VERIFIED"}
    answer = h.request("POST", "/api/v1/partners/signup", json_body=body)
    assert answer.status_code == 422
    assert set(answer.error["fields"]) == {"status", "kyc_status"}
    assert h.rpc.calls == []


@pytest.mark.parametrize("data, content_type, status, code", [
    ("{not json", "application/json", 400, "malformed_request"),
    ("[1, 2]", "application/json", 400, "malformed_request"),
    ('{"reason": "x", "reason": "y"}', "application/json", 400, "malformed_request"),
    ('{"a":' * 50 + "1" + "}" * 50, "application/json", 400, "malformed_request"),
    ("reason=spam", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    (b"\xff\xfe{}", "application/json", 400, "malformed_request"),
])
def test_bodies_that_are_not_one_json_object_are_refused(h, data, content_type, status, code):
    answer = h.request("POST", f"/api/v1/partners/{new_id()}/suspend", h.token("admin"),
                       data=data, headers={"Content-Type": content_type})
    assert (answer.status_code, answer.error["code"]) == (status, code)
    assert h.rpc.calls == []


def test_a_body_where_none_is_taken_is_refused(h):
    answer = h.request("POST", f"/api/v1/partners/{new_id()}/verify", h.token("admin"),
                       json_body={"kyc_status": "VERIFIED"})
    assert answer.status_code == 400 and h.rpc.calls == []


def test_query_strings_are_validated_too(h):
    admin = h.token("admin")
    unknown = h.request("GET", "/api/v1/partners?status=ACTIVE&sort=name", admin)
    assert unknown.status_code == 422 and set(unknown.error["fields"]) == {"sort"}
    repeated = h.request("GET", "/api/v1/partners?status=ACTIVE&status=PENDING", admin)
    assert repeated.status_code == 422 and set(repeated.error["fields"]) == {"status"}
    bad = h.request("GET", "/api/v1/partners?page=0&type=spammer", admin)
    assert set(bad.error["fields"]) == {"page", "type"}
    assert h.rpc.calls == []


def test_a_malformed_path_id_names_the_field(h):
    answer = h.request("GET", "/api/v1/partners/42", h.token("admin"))
    assert answer.status_code == 422 and set(answer.error["fields"]) == {"partner_id"}


def test_a_typed_service_error_keeps_its_status_and_code(h):
    h.rpc.answers["partners.register_partner"] = lambda payload: (_ for _ in ()).throw(
        Conflict("This email is already registered.", {"email": ["Taken."]}))
    body = {"name": "Ana", "email": "ana@example.com", "type": "media", "country": "ES"}
    answer = h.request("POST", "/api/v1/partners/signup", json_body=body)
    assert answer.status_code == 409
    assert answer.error == {"code": "conflict", "message": "This email is already registered.",
                            "fields": {"email": ["Taken."]}, "request_id": "req-1"}


def test_an_unexpected_failure_is_a_500_without_internals(h):
    def explode(partner_id):
        raise KeyError("/srv/services/partners/views.py")

    h.rpc.answers["partners.get_partner"] = explode
    answer = h.request("GET", f"/api/v1/partners/{new_id()}", h.token("admin"))
    assert answer.status_code == 500
    for leak in ("KeyError", ".py", "Traceback", "services"):
        assert leak not in answer.text


def test_per_token_rate_limit_with_retry_after():
    h = Harness({"partners.list_partners": {"items": [], "page": 1, "page_size": 20,
                                            "total": 0}},
                rate_limits={"token": {"requests": 2, "per_seconds": 60}})
    admin, other_admin = h.token("admin", "ops"), h.token("admin", "ops2")
    statuses = [h.request("GET", "/api/v1/partners", admin).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = h.request("GET", "/api/v1/partners", admin)
    assert limited.error["code"] == "rate_limited" and int(limited.headers["Retry-After"]) >= 1
    assert h.request("GET", "/api/v1/partners", other_admin).status_code == 200


def test_public_signup_is_limited_per_ip():
    h = Harness({"partners.register_partner": lambda p: {"partner_id": new_id()},
                 "partners.get_partner": partner},
                rate_limits={"signup": {"requests": 1, "per_seconds": 3600}})

    def sign_up(ip, n):
        body = {"name": "A", "email": f"a{n}@example.com", "type": "media", "country": "ES"}
        return h.request("POST", "/api/v1/partners/signup", json_body=body, remote_addr=ip)

    assert sign_up("198.51.100.1", 1).status_code == 201
    assert sign_up("198.51.100.1", 2).status_code == 429
    assert sign_up("198.51.100.2", 3).status_code == 201


def test_forwarded_for_counts_only_when_trusted():
    h = Harness({"partners.register_partner": lambda p: {"partner_id": new_id()},
                 "partners.get_partner": partner},
                rate_limits={"signup": {"requests": 1, "per_seconds": 3600}})
    body = {"name": "A", "email": "a@example.com", "type": "media", "country": "ES"}
    spoofed = [h.request("POST", "/api/v1/partners/signup", json_body=body,
                         headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code
               for n in range(2)]
    assert spoofed == [201, 429]


def test_signup_returns_a_token_for_the_new_partner_only(h):
    new = new_id()
    h.rpc.answers["partners.register_partner"] = {"partner_id": new}
    body = {"name": "A", "email": "a@example.com", "type": "media", "country": "es"}
    answer = h.request("POST", "/api/v1/partners/signup", json_body=body)
    assert answer.status_code == 201
    token = answer.json()["token"]["access_token"]
    assert h.codec.read(token).subject == new and h.codec.read(token).role == "partner"
    assert h.rpc.called("partners.register_partner")[0][0]["country"] == "ES"
    assert json.dumps(answer.json()).count(new) >= 1
