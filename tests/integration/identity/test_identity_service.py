"""The identity service container over the real broker, on SQLite and PostgreSQL."""
import time

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import func, select

from common.contracts.identity import (
    InvalidCredentials,
    LoginThrottled,
    csrf_token_for,
    secret_digest,
)
from common.nameko.config import db_uri
from common.seedwork.errors import Conflict, NotFound, ValidationError
from common.seedwork.infrastructure.database import Database
from services.identity.infrastructure.tables import (
    accounts,
    api_keys,
    outbox_messages,
    password_resets,
    sessions,
)
from services.identity.service import IdentityService
from tests.support import migrated, service_config

BRAND = "0b9f8e34-52c1-4f7a-8d0e-3a6c9d2b4e02"
PARTNER = "6f1c2a54-0d7e-4a8e-9a57-2c1f1b0e7a01"
PASSWORD = "correct horse battery staple"
FAST_ARGON2 = {"time_cost": 1, "memory_cost_kib": 1024, "parallelism": 1}


def identity_settings(**changes) -> dict:
    return {"argon2": FAST_ARGON2, "max_failures_per_account": 3, "max_failures_per_ip": 100,
            "throttle_lockout_seconds": 60, **changes}


@pytest.fixture
def config(rabbit_config, make_db_uri, db_kind):
    return service_config(rabbit_config,
                          {"identity": migrated("identity", make_db_uri(db_kind, "identity"))},
                          IDENTITY=identity_settings(session_idle_seconds=2))


@pytest.fixture
def rpc(config, container_factory):
    container_factory(IdentityService, config).start()
    with ClusterRpcProxy(config, timeout=10) as proxy:
        yield proxy.identity


@pytest.fixture
def db(config):
    database = Database(db_uri(config, "identity"))
    yield database
    database.dispose()


def count(db, table):
    with db.reader() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def log_in(rpc, email="ana@example.com", password=PASSWORD, ip="203.0.113.5"):
    return rpc.log_in({"email": email, "password": password, "ip": ip})


def test_a_partner_account_logs_in_and_its_session_authenticates(rpc, db, event_probe):
    probe = event_probe("identity")
    assert rpc.check_new_account({"email": "Ana@Example.com", "password": PASSWORD}) == {
        "email": "ana@example.com"}
    account = rpc.create_partner_account({"partner_id": PARTNER, "email": "Ana@Example.com",
                                          "password": PASSWORD})
    assert (account["role"], account["partner_id"], account["email"]) == (
        "partner", PARTNER, "ana@example.com")
    answer = log_in(rpc, email="ANA@example.com ")
    token = answer["session"]["token"]
    assert answer["session"]["csrf_token"] == csrf_token_for(token)
    found = rpc.authenticate_session(secret_digest(token))
    assert found["account"]["account_id"] == account["account_id"]
    assert found["csrf_digest"] == secret_digest(csrf_token_for(token))
    with db.reader() as conn:
        stored = conn.execute(select(accounts.c.password_hash, sessions.c.token_digest)
                              .select_from(accounts.join(
                                  sessions, sessions.c.account_id == accounts.c.id))).one()
    assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash
    assert stored.token_digest == secret_digest(token)
    assert rpc.log_out(secret_digest(token)) == {"revoked": 1}
    assert rpc.authenticate_session(secret_digest(token)) is None
    events = probe.drain(settle=0.5)
    assert [m["type"] for m in events] == ["account_created", "session_revoked"]
    for message in events:
        for secret in (PASSWORD, token, csrf_token_for(token), stored.password_hash):
            assert secret not in str(message)


def test_a_sign_up_finished_again_then_withdrawn_leaves_no_row(rpc, db, event_probe):
    probe = event_probe("identity")
    new = {"partner_id": PARTNER, "email": "ana@example.com", "password": PASSWORD}
    made = rpc.create_partner_account(new)
    other = "7a2d3b65-1e8f-4b9f-8b68-3d2a2c1f8b02"
    assert rpc.create_partner_account({**new, "partner_id": other}) == made
    with pytest.raises(Conflict):
        rpc.create_partner_account({**new, "password": "not the right passphrase"})
    log_in(rpc)
    assert rpc.withdraw_partner_account({"account_id": made["account_id"],
                                         "partner_id": other}) == {"withdrawn": False}
    assert rpc.withdraw_partner_account({"account_id": made["account_id"],
                                         "partner_id": PARTNER}) == {"withdrawn": True}
    assert count(db, accounts) == 0 and count(db, sessions) == 0
    types = [m["type"] for m in probe.drain(settle=0.5)]
    assert types == ["account_created", "account_withdrawn"]
    assert rpc.create_partner_account({**new, "password": "a brand new passphrase"})[
        "account_id"] != made["account_id"]


def test_a_changed_password_keeps_the_asking_session_and_ends_the_others(rpc, event_probe):
    probe = event_probe("identity")
    account = rpc.create_partner_account({"partner_id": PARTNER, "email": "ana@example.com",
                                          "password": PASSWORD})
    here, there = (log_in(rpc)["session"] for _ in range(2))
    change = {"account_id": account["account_id"], "current_password": PASSWORD,
              "new_password": "a brand new passphrase", "keep_session_id": here["session_id"]}
    with pytest.raises(ValidationError) as wrong:
        rpc.change_password({**change, "current_password": "not the right passphrase"})
    assert wrong.value.fields == {"current_password": ["Wrong password."]}
    assert rpc.change_password(change) == {"revoked": 1}
    assert rpc.authenticate_session(secret_digest(here["token"])) is not None
    assert rpc.authenticate_session(secret_digest(there["token"])) is None
    with pytest.raises(InvalidCredentials):
        log_in(rpc)
    assert log_in(rpc, password="a brand new passphrase")["account"]["email"] == "ana@example.com"
    revoked = [m["payload"] for m in probe.drain(settle=0.5) if m["type"] == "session_revoked"]
    assert [(r["session_ids"], r["reason"]) for r in revoked] == [
        ([there["session_id"]], "password_changed")]


def test_a_reset_link_works_once_and_a_newer_one_voids_it(rpc, db):
    rpc.create_partner_account({"partner_id": PARTNER, "email": "ana@example.com",
                                "password": PASSWORD})
    session = log_in(rpc)["session"]
    older = rpc.issue_password_reset({"email": "ana@example.com", "issued_by": "operator:cli"})
    newer = rpc.issue_password_reset({"email": "ana@example.com", "issued_by": "operator:cli"})
    new = {"password": "a brand new passphrase"}
    with pytest.raises(ValidationError):
        rpc.reset_password({**new, "token_digest": secret_digest(older["token"])})
    reset = rpc.reset_password({**new, "token_digest": secret_digest(newer["token"])})
    assert reset["email"] == "ana@example.com"
    assert rpc.authenticate_session(secret_digest(session["token"])) is None
    assert log_in(rpc, password="a brand new passphrase")["account"]["account_id"] == reset[
        "account_id"]
    with pytest.raises(ValidationError):
        rpc.reset_password({**new, "token_digest": secret_digest(newer["token"])})
    assert count(db, password_resets) == 2  # digests only
    with db.reader() as conn:
        digests = conn.execute(select(password_resets.c.token_digest)).scalars().all()
    assert newer["token"] not in digests and secret_digest(newer["token"]) in digests


def test_wrong_password_unknown_email_and_lock_out_answer_alike(rpc):
    rpc.create_admin({"email": "ops@example.com", "password": PASSWORD})
    for email in ("ops@example.com", "nobody@example.com"):
        refusals = []
        for _ in range(3):
            with pytest.raises(InvalidCredentials) as refused:
                log_in(rpc, email=email, password="wrong password 123")
            refusals.append(refused.value.to_dict())
        assert len({str(r) for r in refusals}) == 1
        with pytest.raises(LoginThrottled) as locked:
            log_in(rpc, email=email)  # even the right password: locked out
        assert 0 < int(locked.value.fields["retry_after"][0]) <= 60


def test_sessions_expire_when_idle(rpc):
    rpc.create_admin({"email": "ops@example.com", "password": PASSWORD})
    token = log_in(rpc, email="ops@example.com")["session"]["token"]
    assert rpc.authenticate_session(secret_digest(token)) is not None
    time.sleep(2.2)
    assert rpc.authenticate_session(secret_digest(token)) is None


def test_bad_input_is_refused_field_by_field_and_nothing_changes(rpc, db):
    with pytest.raises(ValidationError) as error:
        rpc.create_partner_account({"partner_id": "x", "email": "nope", "password": "short"})
    assert set(error.value.fields) == {"partner_id", "email"}
    with pytest.raises(ValidationError) as error:
        rpc.create_partner_account({"partner_id": PARTNER, "email": "a@example.com",
                                    "password": "short"})
    assert set(error.value.fields) == {"password"} and "short" not in str(error.value)
    assert count(db, accounts) == 0 and count(db, outbox_messages) == 0
    rpc.create_admin({"email": "ops@example.com", "password": PASSWORD})
    with pytest.raises(Conflict):
        rpc.create_partner_account({"partner_id": PARTNER, "email": "OPS@example.com",
                                    "password": PASSWORD})
    assert count(db, accounts) == 1


def test_api_keys_are_shown_once_stored_hashed_and_revocable(rpc, db, event_probe):
    probe = event_probe("identity")
    created = rpc.create_api_key({"brand_id": BRAND, "name": "shop", "created_by": "admin:ops",
                                  "scopes": ["conversions:write"]})
    key, api_key = created["key"], created["api_key"]
    assert key.startswith(api_key["prefix"] + "_") and "key" not in api_key
    found = rpc.authenticate_api_key(secret_digest(key))
    assert found["brand_id"] == BRAND and found["scopes"] == ["conversions:write"]
    rpc.record_use({"api_key_id": api_key["api_key_id"]})
    listed = rpc.list_api_keys({"brand_id": BRAND})["items"]
    assert listed[0]["last_used_at"] is not None and key not in str(listed)
    with db.reader() as conn:
        assert conn.execute(select(api_keys.c.secret_digest)).scalar() == secret_digest(key)
    with pytest.raises(NotFound):
        rpc.revoke_api_key({"brand_id": PARTNER, "api_key_id": api_key["api_key_id"],
                            "revoked_by": "x"})
    revoked = rpc.revoke_api_key({"brand_id": BRAND, "api_key_id": api_key["api_key_id"],
                                  "revoked_by": "admin:ops"})
    assert revoked["status"] == "REVOKED"
    assert rpc.authenticate_api_key(secret_digest(key)) is None
    types = [m["type"] for m in probe.drain(settle=0.5)]
    assert types == ["api_key_created", "api_key_revoked"]
    assert key not in str(probe.messages)


def test_an_invited_brand_user_accepts_logs_in_and_is_removed(rpc, event_probe):
    probe = event_probe("identity")
    invited = rpc.invite_brand_user({"brand_id": BRAND, "email": "bo@example.com",
                                     "brand_role": "owner", "invited_by": "admin:ops"})
    token = invited["token"]
    assert rpc.list_brand_users(BRAND)["invitations"][0]["email"] == "bo@example.com"
    account = rpc.accept_invitation({"token_digest": secret_digest(token),
                                     "password": PASSWORD})
    assert (account["brand_id"], account["brand_role"]) == (BRAND, "owner")
    with pytest.raises(ValidationError):  # used once
        rpc.accept_invitation({"token_digest": secret_digest(token), "password": PASSWORD})
    session = log_in(rpc, email="bo@example.com")["session"]
    assert [u["account_id"] for u in rpc.list_brand_users(BRAND)["items"]] == [
        account["account_id"]]
    removed = rpc.remove_brand_user(BRAND, account["account_id"])
    assert removed["status"] == "REMOVED"
    assert rpc.authenticate_session(secret_digest(session["token"])) is None
    with pytest.raises(InvalidCredentials):
        log_in(rpc, email="bo@example.com")
    revoked = [m for m in probe.drain(settle=0.5) if m["type"] == "session_revoked"]
    assert revoked[0]["payload"]["session_ids"] == [session["session_id"]]
    assert revoked[0]["payload"]["reason"] == "account_removed"


def test_log_out_everywhere_revokes_every_session(rpc):
    account = rpc.create_admin({"email": "ops@example.com", "password": PASSWORD})
    tokens = [log_in(rpc, email="ops@example.com")["session"]["token"] for _ in range(3)]
    assert rpc.log_out_everywhere(account["account_id"]) == {"revoked": 3}
    assert all(rpc.authenticate_session(secret_digest(t)) is None for t in tokens)


def test_a_revoked_invitation_leaves_the_pending_list_and_lets_nobody_in(rpc):
    invited = rpc.invite_brand_user({"brand_id": BRAND, "email": "typo@example.con",
                                     "brand_role": "member", "invited_by": "admin:ops"})
    invitation_id = invited["invitation"]["invitation_id"]
    assert [i["invitation_id"] for i in rpc.list_brand_users(BRAND)["invitations"]] == [
        invitation_id]
    revoked = rpc.revoke_invitation({"brand_id": BRAND, "invitation_id": invitation_id})
    assert revoked["email"] == "typo@example.con"
    assert rpc.list_brand_users(BRAND)["invitations"] == []
    with pytest.raises(ValidationError):
        rpc.accept_invitation({"token_digest": secret_digest(invited["token"]),
                               "password": PASSWORD})
    with pytest.raises(NotFound):
        rpc.revoke_invitation({"brand_id": PARTNER, "invitation_id": invitation_id})
