"""Sessions, CSRF, API keys and brand users over HTTP: a live BFF with the real identity
service (SQLite) and fake services for the rest.

Shown here: a partner signs up with a password and logs in (cookie + CSRF token); a
state-changing request without the CSRF token is refused; a wrong password, an unknown
email and a locked-out account answer alike; an idle session ends; API keys post
conversions within their scopes only and reach nothing of another brand; a revoked key
is refused by *another* BFF instance within 5 seconds; a suspended partner's JWT is
refused; a brand's owner manages users, its members may not. And no password, key,
cookie, CSRF token or JWT shows up in a log line, an event or an error body.
"""
from __future__ import annotations

import logging
import time
import uuid

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.testing.utils import find_free_port

from common.contracts.examples import example
from common.contracts.partners import PARTNER_SUSPENDED
from common.nameko.config import load_config
from common.nameko.discovery import ROOT
from common.seedwork.errors import ServiceUnavailable, ValidationError
from services.bff.service import BffService
from services.identity.service import IdentityService
from tests.integration.bff import fakes
from tests.integration.bff.client import Api
from tests.support import migrated, read_model, service_config, wait_for

PASSWORD = "correct horse battery staple"
IDENTITY = {"argon2": {"time_cost": 1, "memory_cost_kib": 1024, "parallelism": 1},
            "max_failures_per_account": 3, "throttle_lockout_seconds": 30,
            "session_idle_seconds": 3}
ORDER = {"amount": "10.00", "currency": "USD", "referral_code": fakes.CODE_A}


@pytest.fixture
def world(container_factory, rabbit_config, make_db_uri, jwt_secret, caplog):
    caplog.set_level(logging.DEBUG)
    for name, logger in load_config(str(ROOT / "config.yaml"))["LOGGING"]["loggers"].items():
        if "level" in logger:  # as `nameko run` applies them, whatever LOG_LEVEL says
            caplog.set_level(logger["level"], logger=name)
    fakes.reset()
    uri = migrated("identity", make_db_uri("sqlite", "identity"))
    identity_config = service_config(rabbit_config, {"identity": uri}, IDENTITY=IDENTITY)
    container_factory(IdentityService, identity_config).start()
    for fake in fakes.FAKES:
        if fake.name != "identity":
            container_factory(fake, service_config(rabbit_config, {})).start()

    def start_bff() -> Api:
        port = find_free_port()
        config = service_config(rabbit_config, read_model(make_db_uri),
                                WEB_SERVER_ADDRESS=f"127.0.0.1:{port}",
                                BFF={"credential_cache_seconds": 4})
        container_factory(BffService, config).start()
        return Api(f"http://127.0.0.1:{port}", config)

    yield start_bff
    fakes.reset()


BEA = {"name": "Bea", "email": "bea@example.com", "type": "media", "country": "ES",
       "password": PASSWORD}


def sign_up(api: Api, email: str = "bea@example.com") -> dict:
    answer = api.post("/api/v1/partners/signup", json={**BEA, "email": email})
    assert answer.status_code == 201, answer.text
    return answer.json()


def log_in(api: Api, email: str, password: str = PASSWORD):
    return api.post("/api/v1/auth/login", json={"email": email, "password": password})


def test_a_partner_signs_up_logs_in_and_needs_the_csrf_token_to_change_anything(world):
    api = world()
    signed = sign_up(api)
    own = signed["partner"]["partner_id"]
    assert signed["account"]["partner_id"] == own and "password" not in signed
    login = log_in(api, "BEA@example.com")
    assert login.status_code == 200, login.text
    cookie = login.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    csrf = login.json()["csrf_token"]
    session = api.get("/api/v1/auth/session").json()
    assert session["principal"] == {"role": "partner", "subject": own,
                                    "via": "session"}
    assert session["csrf_token"] == csrf
    assert api.get(f"/api/v1/partners/{own}").status_code == 200
    assert api.get(f"/api/v1/partners/{fakes.PARTNER_B}").status_code == 404  # not hers
    patch = {"payout_method": {"type": "paypal", "email": "bea@example.com"}}
    refused = api.patch(f"/api/v1/partners/{own}", json=patch)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    wrong = api.patch(f"/api/v1/partners/{own}", json=patch,
                      headers={"X-CSRF-Token": csrf[::-1]})
    assert wrong.status_code == 403
    assert not [c for c in fakes.CALLS if c[0] == "partners.change_payout_method"]
    done = api.patch(f"/api/v1/partners/{own}", json=patch,
                     headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200
    out = api.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 200 and out.json() == {"revoked": 1}
    assert api.get(f"/api/v1/partners/{own}").status_code == 401


def test_a_sign_up_cut_short_after_its_account_is_finished_by_signing_up_again(
        world, event_probe):
    probe = event_probe("identity")
    api = world()
    fakes.REGISTER_FAILURES.append(ServiceUnavailable(fields={"service": ["partners"]}))
    cut = api.post("/api/v1/partners/signup", json=BEA)
    assert cut.status_code == 503, cut.text
    assert fakes.SIGNED_UP == {}  # the account was made; its partner was not
    stranger = api.post("/api/v1/partners/signup", json={**BEA, "password": "an0ther p4ssword!"})
    assert stranger.status_code == 409 and stranger.json()["error"]["fields"] == {
        "email": ["Already has an account."]}
    assert fakes.SIGNED_UP == {}  # the wrong password finishes nothing
    finished = sign_up(api)
    own = finished["partner"]["partner_id"]
    assert finished["account"]["partner_id"] == own and list(fakes.SIGNED_UP) == [own]
    again = sign_up(api)  # a retry of a finished sign-up answers the same partner
    assert again["partner"]["partner_id"] == own
    assert again["account"]["account_id"] == finished["account"]["account_id"]
    created = [m for m in probe.drain(settle=0.5) if m["type"] == "account_created"]
    assert [m["payload"]["partner_id"] for m in created] == [own]  # one account, ever
    assert log_in(api, "bea@example.com").status_code == 200


def test_a_sign_up_whose_partner_is_refused_leaves_no_account(world, event_probe):
    probe = event_probe("identity")
    api = world()
    fakes.REGISTER_FAILURES.append(ValidationError(fields={"name": ["Must not be blank."]}))
    refused = api.post("/api/v1/partners/signup", json=BEA)
    assert refused.status_code == 422 and refused.json()["error"]["fields"] == {
        "name": ["Must not be blank."]}
    assert [m["type"] for m in probe.drain(settle=0.5)] == [
        "account_created", "account_withdrawn"]
    assert log_in(api, "bea@example.com").status_code == 401
    fixed = sign_up(api, "bea@example.com")  # the email is free: any password will do
    assert fixed["account"]["partner_id"] == fixed["partner"]["partner_id"]


def test_a_sign_up_with_another_partners_email_leaves_no_account(world, event_probe):
    probe = event_probe("identity")
    api = world()
    taken = fakes.PARTNERS[fakes.PARTNER_A]["email"]
    refused = api.post("/api/v1/partners/signup", json={**BEA, "email": taken})
    assert refused.status_code == 409 and "email" in refused.json()["error"]["fields"]
    types = [m["type"] for m in probe.drain(settle=0.5)]
    assert types == ["account_created", "account_withdrawn"]
    assert log_in(api, taken).status_code == 401  # no account is left behind
    assert fakes.SIGNED_UP == {}


NEW_PASSWORD = "a brand new passphrase"


def test_a_changed_password_signs_out_the_other_devices_only(world):
    api = world()
    own = sign_up(api)["partner"]["partner_id"]
    csrf = log_in(api, "bea@example.com").json()["csrf_token"]
    other = Api(api.base_url, api.config)  # another device
    assert log_in(other, "bea@example.com").status_code == 200
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    unsafe = api.post("/api/v1/auth/password", json=change)
    assert unsafe.status_code == 403 and unsafe.json()["error"]["code"] == "csrf_failed"
    wrong = api.post("/api/v1/auth/password", headers={"X-CSRF-Token": csrf},
                     json={**change, "current_password": "not the password at all"})
    assert wrong.status_code == 422 and wrong.json()["error"]["fields"] == {
        "current_password": ["Wrong password."]}
    weak = api.post("/api/v1/auth/password", headers={"X-CSRF-Token": csrf},
                    json={**change, "new_password": "short"})
    assert weak.status_code == 422 and set(weak.json()["error"]["fields"]) == {"new_password"}
    assert other.get(f"/api/v1/partners/{own}").status_code == 200  # nothing changed yet
    changed = api.post("/api/v1/auth/password", headers={"X-CSRF-Token": csrf}, json=change)
    assert changed.status_code == 200 and changed.json() == {"revoked": 1}
    assert api.get(f"/api/v1/partners/{own}").status_code == 200  # this device stays in
    assert other.get(f"/api/v1/partners/{own}").status_code == 401
    assert log_in(other, "bea@example.com").status_code == 401
    assert log_in(other, "bea@example.com", NEW_PASSWORD).status_code == 200
    bearer = api.post("/api/v1/auth/password", api.partner(own), json=change)
    assert bearer.status_code == 403 and bearer.json()["error"]["code"] == "session_required"


def test_an_operators_reset_link_sets_a_new_password_once_and_ends_every_session(world):
    api = world()
    own = sign_up(api)["partner"]["partner_id"]
    assert log_in(api, "bea@example.com").status_code == 200
    for _ in range(3):  # and locked out
        assert log_in(api, "bea@example.com", "not the password!").status_code == 401
    assert api.post("/api/v1/admin/password-resets", api.partner(own),
                    json={"email": "bea@example.com"}).status_code == 403
    unknown = api.post("/api/v1/admin/password-resets", api.admin(),
                       json={"email": "nobody@example.com"})
    assert unknown.status_code == 404
    issued = api.post("/api/v1/admin/password-resets", api.admin(),
                      json={"email": "BEA@example.com"})
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    assert issued.json()["account"]["partner_id"] == own
    owner = Api(api.base_url, api.config)  # the owner, with the link
    weak = owner.post("/api/v1/auth/password-reset", json={"token": token, "password": "x"})
    assert weak.status_code == 422 and set(weak.json()["error"]["fields"]) == {"password"}
    done = owner.post("/api/v1/auth/password-reset",
                      json={"token": token, "password": NEW_PASSWORD})
    assert done.status_code == 200 and done.json()["partner_id"] == own
    assert api.get(f"/api/v1/partners/{own}").status_code == 401  # the old session ended
    assert log_in(owner, "bea@example.com", NEW_PASSWORD).status_code == 200  # unlocked
    used = owner.post("/api/v1/auth/password-reset",
                      json={"token": token, "password": "yet another passphrase"})
    assert used.status_code == 422 and used.json()["error"]["fields"] == {
        "token": ["Unknown, used or expired reset link."]}
    assert token not in str(used.json())


def test_a_secure_cookie_behind_a_trusted_https_proxy(world, rabbit_config, container_factory,
                                                      make_db_uri):
    port = find_free_port()
    config = service_config(rabbit_config, read_model(make_db_uri),
                            WEB_SERVER_ADDRESS=f"127.0.0.1:{port}",
                            BFF={"trust_forwarded_for": True})
    container_factory(BffService, config).start()
    api = Api(f"http://127.0.0.1:{port}", config)
    sign_up(api)
    login = api.post("/api/v1/auth/login", json={"email": "bea@example.com",
                                                 "password": PASSWORD},
                     headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in login.headers["Set-Cookie"]


def test_wrong_password_unknown_email_and_lock_out_answer_alike(world):
    api = world()
    sign_up(api)
    answers = {}
    for email in ("bea@example.com", "nobody@example.com"):
        bodies = []
        for _ in range(3):
            answer = log_in(api, email, "not the password!")
            assert answer.status_code == 401
            bodies.append({k: v for k, v in answer.json()["error"].items()
                           if k != "request_id"})
        locked = log_in(api, email)  # the right password too: locked out
        assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
        answers[email] = (bodies[0], locked.json()["error"]["code"])
    assert answers["bea@example.com"] == answers["nobody@example.com"]
    assert answers["nobody@example.com"][0]["code"] == "invalid_credentials"


def test_an_idle_session_ends(world):
    api = world()
    own = sign_up(api)["partner"]["partner_id"]
    assert log_in(api, "bea@example.com").status_code == 200
    assert api.get(f"/api/v1/partners/{own}").status_code == 200
    time.sleep(3.5)  # idle timeout 3 s (the BFF caches a session no longer than it lives)
    ended = api.get(f"/api/v1/partners/{own}")
    assert ended.status_code == 401 and ended.json()["error"]["code"] == "unauthorized"


def test_api_keys_within_their_scopes_and_revoked_within_five_seconds(world):
    first, second = world(), world()
    created = first.post(f"/api/v1/brands/{fakes.BRAND_A}/api-keys", first.admin(),
                         json={"name": "shop", "scopes": ["conversions:write"]})
    assert created.status_code == 201, created.text
    key, key_id = created.json()["key"], created.json()["api_key"]["api_key_id"]
    by_bearer = second.post("/api/v1/conversions", key, json={**ORDER, "order_id": "o-1"})
    by_header = second.post("/api/v1/conversions", json={**ORDER, "order_id": "o-2"},
                            headers={"X-Api-Key": key})
    assert (by_bearer.status_code, by_header.status_code) == (201, 201)
    assert fakes.CALLS[-1][1][0]["brand_id"] == fakes.BRAND_A
    no_scope = second.get(f"/api/v1/brands/{fakes.BRAND_A}/conversions", key)
    assert no_scope.status_code == 403
    assert second.get(f"/api/v1/brands/{fakes.BRAND_A}/api-keys", key).status_code == 403
    listed = first.get(f"/api/v1/brands/{fakes.BRAND_A}/api-keys", first.admin()).json()
    assert listed["items"][0]["prefix"] and key not in str(listed)

    revoked = first.post(f"/api/v1/brands/{fakes.BRAND_A}/api-keys/{key_id}/revoke",
                         first.admin())
    assert revoked.status_code == 200 and revoked.json()["status"] == "REVOKED"
    started = time.monotonic()
    wait_for(lambda: second.post("/api/v1/conversions", key, json={
        **ORDER, "order_id": f"o-{uuid.uuid4().hex[:6]}"}).status_code == 401,
        timeout=5, message="the other BFF refusing the revoked key")
    assert time.monotonic() - started < 5
    assert first.post("/api/v1/conversions", key, json={**ORDER, "order_id": "o-4"}
                      ).status_code == 401


def test_another_brands_objects_answer_404_through_api_keys(world):
    api = world()
    key = api.post(f"/api/v1/brands/{fakes.BRAND_A}/api-keys", api.brand(fakes.BRAND_A),
                   json={"name": "reports", "scopes": ["reports:read"]}).json()["key"]
    assert api.get(f"/api/v1/campaigns/{fakes.CAMPAIGN_A}", key).status_code == 200
    exported = api.get(f"/api/v1/brands/{fakes.BRAND_A}/commissions/export", key)
    assert exported.status_code == 200 and fakes.COMMISSION_A in exported.text  # accounting
    for path in (f"/api/v1/campaigns/{fakes.CAMPAIGN_B}", f"/api/v1/brands/{fakes.BRAND_B}",
                 f"/api/v1/commissions/{fakes.COMMISSION_B}",
                 f"/api/v1/brands/{fakes.BRAND_B}/conversions",
                 f"/api/v1/brands/{fakes.BRAND_B}/commissions/export"):
        answer = api.get(path, key)
        assert answer.status_code == 404 and fakes.B_MARKER not in answer.text, path
    assert api.post("/api/v1/conversions", key, json={**ORDER, "order_id": "x"}
                    ).status_code == 403  # no conversions:write
    assert api.get(f"/api/v1/brands/{fakes.BRAND_B}/api-keys",
                   api.brand(fakes.BRAND_A)).status_code == 404


def test_a_suspended_partners_token_is_refused_within_five_seconds(world, rabbit_config):
    api = world()
    token = api.partner(fakes.PARTNER_A)
    assert api.get(f"/api/v1/partners/{fakes.PARTNER_A}", token).status_code == 200
    dispatch = event_dispatcher(rabbit_config)
    payload = {**example(PARTNER_SUSPENDED), "partner_id": fakes.PARTNER_A}
    dispatch("partners", "partner_suspended", {
        "event_id": str(uuid.uuid4()), "type": "partner_suspended", "version": 1,
        "source": "partners", "occurred_at": "2026-11-29T12:00:00Z",
        "correlation_id": None, "causation_id": None, "payload": payload})
    answers = []
    wait_for(lambda: answers.append(api.get(f"/api/v1/partners/{fakes.PARTNER_A}", token))
             or answers[-1].status_code == 403, timeout=5, message="the partner refused")
    assert answers[-1].json()["error"]["code"] == "account_suspended"


def test_a_brand_owner_manages_users_and_members_may_not(world):
    api = world()
    invited = api.post(f"/api/v1/brands/{fakes.BRAND_A}/invitations", api.admin(),
                       json={"email": "owner@example.com", "brand_role": "owner"})
    assert invited.status_code == 201, invited.text
    assert invited.json()["emailed"] is False  # this identity sends no email
    assert ("campaigns.get_brand", (fakes.BRAND_A,)) in fakes.CALLS  # its name, for the email
    accepted = api.post("/api/v1/auth/invitations/accept", json={
        "token": invited.json()["token"], "password": PASSWORD})
    assert accepted.status_code == 201 and accepted.json()["brand_role"] == "owner"
    owner = Api(api.base_url, api.config)
    csrf = log_in(owner, "owner@example.com").json()["csrf_token"]
    member_invite = owner.post(f"/api/v1/brands/{fakes.BRAND_A}/invitations",
                               json={"email": "member@example.com", "brand_role": "member"},
                               headers={"X-CSRF-Token": csrf})
    assert member_invite.status_code == 201
    member_account = api.post("/api/v1/auth/invitations/accept", json={
        "token": member_invite.json()["token"], "password": PASSWORD}).json()
    member = Api(api.base_url, api.config)
    member_csrf = log_in(member, "member@example.com").json()["csrf_token"]
    assert member.get(f"/api/v1/campaigns/{fakes.CAMPAIGN_A}").status_code == 200
    assert member.get(f"/api/v1/campaigns/{fakes.CAMPAIGN_B}").status_code == 404
    assert member.post(f"/api/v1/brands/{fakes.BRAND_A}/api-keys", json={
        "name": "x", "scopes": ["reports:read"]},
        headers={"X-CSRF-Token": member_csrf}).status_code == 403
    users = owner.get(f"/api/v1/brands/{fakes.BRAND_A}/users").json()
    assert {u["email"] for u in users["items"]} == {"owner@example.com", "member@example.com"}
    removed = owner.post(
        f"/api/v1/brands/{fakes.BRAND_A}/users/{member_account['account_id']}/remove",
        headers={"X-CSRF-Token": csrf})
    assert removed.status_code == 200 and removed.json()["status"] == "REMOVED"
    assert member.get(f"/api/v1/campaigns/{fakes.CAMPAIGN_A}").status_code == 401
    assert log_in(member, "member@example.com").status_code == 401


def signed_in_owner(api) -> tuple[Api, dict, dict]:
    """Brand A's owner, invited by an admin and signed in: (client, CSRF header, the
    admin's invitation)."""
    invited = api.post(f"/api/v1/brands/{fakes.BRAND_A}/invitations", api.admin(),
                       json={"email": "owner@example.com", "brand_role": "owner"}).json()
    api.post("/api/v1/auth/invitations/accept", json={"token": invited["token"],
                                                      "password": PASSWORD})
    owner = Api(api.base_url, api.config)
    csrf = {"X-CSRF-Token": log_in(owner, "owner@example.com").json()["csrf_token"]}
    return owner, csrf, invited


def test_an_owner_invites_while_campaigns_cannot_name_the_brand_an_admin_does_not(
        world, monkeypatch):
    api = world()
    owner, csrf, _ = signed_in_owner(api)

    def away(self, brand_id):
        raise ServiceUnavailable("campaigns is away")

    monkeypatch.setattr(fakes.FakeCampaigns, "get_brand", away)
    by_owner = owner.post(f"/api/v1/brands/{fakes.BRAND_A}/invitations", headers=csrf,
                          json={"email": "member@example.com", "brand_role": "member"})
    assert by_owner.status_code == 201, by_owner.text
    by_admin = api.post(f"/api/v1/brands/{fakes.BRAND_A}/invitations", api.admin(),
                        json={"email": "other@example.com", "brand_role": "member"})
    assert by_admin.status_code == 503  # it cannot tell the brand exists


def test_a_brand_owner_revokes_a_mistyped_invitation_and_nobody_else_can(world):
    api = world()
    owner, csrf, invited = signed_in_owner(api)
    typo = owner.post(f"/api/v1/brands/{fakes.BRAND_A}/invitations", headers=csrf,
                      json={"email": "membre@example.com", "brand_role": "member"}).json()
    path = (f"/api/v1/brands/{fakes.BRAND_A}/invitations/"
            f"{typo['invitation']['invitation_id']}/revoke")
    other_brand = (f"/api/v1/brands/{fakes.BRAND_B}/invitations/"
                   f"{typo['invitation']['invitation_id']}/revoke")
    assert owner.post(other_brand, headers=csrf).status_code == 404  # not its brand
    assert api.post(path, api.partner(fakes.PARTNER_A)).status_code == 403
    revoked = owner.post(path, headers=csrf)
    assert revoked.status_code == 200 and revoked.json()["email"] == "membre@example.com"
    assert owner.get(f"/api/v1/brands/{fakes.BRAND_A}/users").json()["invitations"] == []
    refused = api.post("/api/v1/auth/invitations/accept", json={
        "token": typo["token"], "password": PASSWORD})
    assert refused.status_code == 422 and "token" in refused.json()["error"]["fields"]
    accepted = owner.post(f"/api/v1/brands/{fakes.BRAND_A}/invitations/"
                          f"{invited['invitation']['invitation_id']}/revoke", headers=csrf)
    assert accepted.status_code == 409  # accepted: remove the user instead


def test_no_secret_in_logs_events_or_error_bodies(world, event_probe, caplog):
    probe = event_probe("identity")
    api = world()
    bodies = []

    def keep(answer):  # error bodies (a secret is shown once, in a success answer)
        if answer.status_code >= 400:
            bodies.append(answer.text)
        return answer

    signed = sign_up(api)
    jwt = signed["token"]["access_token"]
    keep(log_in(api, "bea@example.com", "wrong password 1234"))
    login = keep(log_in(api, "bea@example.com"))
    cookie = api.session.cookies.get("alpes_session")
    csrf = login.json()["csrf_token"]
    keep(api.patch(f"/api/v1/partners/{fakes.PARTNER_A}", json={"payout_method": {}}))
    keep(api.post("/api/v1/auth/logout-all", headers={"X-CSRF-Token": csrf}))
    key = api.post(f"/api/v1/brands/{fakes.BRAND_A}/api-keys", api.admin(),
                   json={"name": "s", "scopes": ["reports:read"]}).json()["key"]
    keep(api.post("/api/v1/conversions", key, json={**ORDER, "order_id": "z"}))
    keep(api.post("/api/v1/auth/invitations/accept", json={"token": key, "password": "short"}))
    keep(api.post("/api/v1/partners/signup", json={
        "name": "Bo", "email": "bo@example.com", "type": "media", "country": "ES",
        "password": "x"}))
    assert len(bodies) == 5  # every refusal above but log-out-all
    events = str(probe.drain(settle=0.5))
    logs = "\n".join(record.getMessage() + str(record.exc_info or "")
                     for record in caplog.records)
    secrets = {"password": PASSWORD, "key": key, "cookie": cookie, "csrf": csrf, "jwt": jwt}
    assert all(secrets.values())
    for name, secret in secrets.items():
        assert secret not in logs, name
        assert secret not in events, name
        assert not any(secret in body for body in bodies), name
