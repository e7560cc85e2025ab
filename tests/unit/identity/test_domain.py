"""Identity's rules on plain objects: password policy, throttling, session expiry, API
keys' scopes and digests, invitations."""
from datetime import UTC, datetime, timedelta

import pytest

from common.contracts.identity import csrf_token_for, secret_digest
from common.seedwork.errors import ValidationError
from services.identity.application import credentials
from services.identity.application.settings import IdentitySettings
from services.identity.domain.accounts import Account, BrandRole, RevocationReason
from services.identity.domain.api_keys import ApiKey, checked_scopes
from services.identity.domain.invitations import Invitation
from services.identity.domain.passwords import PasswordPolicy
from services.identity.domain.sessions import Session
from services.identity.domain.throttling import LoginThrottle, ThrottlePolicy

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
IDLE = timedelta(minutes=30)


def test_password_policy_names_each_broken_rule_and_never_the_password():
    policy = PasswordPolicy(min_length=12, max_length=20)
    assert policy.problems("correct horse battery") == ["Must be at most 20 characters."]
    assert policy.problems("long enough pass") == []
    assert policy.problems("short") == ["Must be at least 12 characters."]
    assert policy.problems(" " * 13) == ["Must not be only spaces."]
    assert policy.problems("Ana@Example.com", "ana@example.com") == [
        "Must not be your email address."]
    assert not any("short" in message for message in policy.problems("short"))
    with pytest.raises(ValueError):
        PasswordPolicy(min_length=4)


def test_throttle_locks_after_the_limit_within_the_window_then_frees():
    policy = ThrottlePolicy(3, timedelta(minutes=15), timedelta(minutes=10))
    throttle = LoginThrottle(key="email:x")
    for minute in range(2):
        throttle.fail(NOW + timedelta(minutes=minute), policy)
    assert throttle.retry_after(NOW + timedelta(minutes=2)) is None
    throttle.fail(NOW + timedelta(minutes=2), policy)
    assert throttle.retry_after(NOW + timedelta(minutes=2)) == 600
    assert throttle.retry_after(NOW + timedelta(minutes=12)) is None


def test_failures_outside_the_window_start_a_new_count():
    policy = ThrottlePolicy(3, timedelta(minutes=15), timedelta(minutes=10))
    throttle = LoginThrottle(key="ip:1.2.3.4")
    throttle.fail(NOW, policy)
    throttle.fail(NOW + timedelta(minutes=1), policy)
    throttle.fail(NOW + timedelta(minutes=20), policy)  # the window restarted
    assert throttle.failures == 1 and throttle.retry_after(NOW + timedelta(minutes=20)) is None


def session(**changes) -> Session:
    return Session.open(account_id="a", token_digest="t", csrf_digest="c", now=NOW,
                        lifetime=timedelta(hours=12), **changes)


def test_a_session_ends_idle_or_at_its_absolute_expiry_or_revoked():
    opened = session()
    assert opened.is_open(NOW + timedelta(minutes=29), IDLE)
    assert not opened.is_open(NOW + timedelta(minutes=31), IDLE)  # idle
    assert opened.touch(NOW + timedelta(minutes=29), timedelta(seconds=60))
    assert opened.is_open(NOW + timedelta(minutes=50), IDLE)
    assert not opened.touch(NOW + timedelta(minutes=29, seconds=30), timedelta(seconds=60))
    kept_busy = session()
    for minutes in range(0, 12 * 60 + 1, 20):
        kept_busy.touch(NOW + timedelta(minutes=minutes), timedelta(seconds=60))
    assert not kept_busy.is_open(NOW + timedelta(hours=12, seconds=1), IDLE)  # absolute
    assert opened.revoke(NOW, "logout") and not opened.revoke(NOW, "logout_all")
    assert not opened.is_open(NOW, IDLE) and opened.revoked_reason == "logout"


def test_revoking_an_accounts_sessions_is_one_event_naming_those_still_open():
    account = Account.admin(email="Ops@Example.com ", password_hash="h", now=NOW)
    account.pull_events()
    first, second, closed = session(), session(), session()
    first.account_id = second.account_id = closed.account_id = account.id
    closed.revoke(NOW, "logout")
    assert account.revoke_sessions([first, second, closed], RevocationReason.LOGOUT_ALL,
                                   NOW) == [first.id, second.id]
    [event] = account.pull_events()
    assert event.session_ids == (first.id, second.id) and account.email == "ops@example.com"


def test_api_keys_are_random_prefixed_and_only_their_digest_is_kept():
    key_id = "2e3d4c5b-6a7f-4e8d-9c0b-1a2f3e4d5c11"
    one, two = credentials.new_api_key(key_id), credentials.new_api_key(key_id)
    assert one != two and one.startswith("ak_live_2e3d4c5b6a7f_") and len(one) > 60
    key = ApiKey.issue(id=key_id, brand_id="b", name=" shop ", prefix="ak_live_2e3d4c5b6a7f",
                       secret_digest=secret_digest(one), scopes=["reports:read"] * 2,
                       created_by="admin:ops", now=NOW)
    assert key.secret_digest == secret_digest(one) != one and key.scopes == ("reports:read",)
    assert key.name == "shop" and key.pull_events()[0].scopes == ("reports:read",)
    assert key.revoke(NOW, "x") and not key.revoke(NOW, "x") and not key.active


@pytest.mark.parametrize("scopes", [[], ["admin"], ["reports:read", "everything"]])
def test_unknown_or_no_scopes_are_refused(scopes):
    with pytest.raises(ValidationError) as refused:
        checked_scopes(scopes)
    assert set(refused.value.fields) == {"scopes"}


def test_a_key_is_touched_at_most_once_per_interval():
    key = ApiKey(id="k", brand_id="b", name="n", prefix="p", secret_digest="d",
                 scopes=["reports:read"], created_by="x", created_at=NOW)
    assert key.touch(NOW, timedelta(seconds=60))
    assert not key.touch(NOW + timedelta(seconds=30), timedelta(seconds=60))
    assert key.touch(NOW + timedelta(seconds=61), timedelta(seconds=60))


def test_the_csrf_token_belongs_to_its_session_token():
    assert csrf_token_for("a") == csrf_token_for("a") != csrf_token_for("b")
    assert len(csrf_token_for("a")) == 43  # 256 bits, base64url


def test_an_invitation_is_used_once_and_expires():
    invitation = Invitation.issue(brand_id="b", email="X@Y.com", brand_role=BrandRole.MEMBER,
                                  token_digest="d", invited_by="admin:ops", now=NOW,
                                  lifetime=timedelta(days=7))
    assert invitation.email == "x@y.com"
    with pytest.raises(ValidationError):
        invitation.accept("acc", NOW + timedelta(days=8))
    invitation.accept("acc", NOW)
    with pytest.raises(ValidationError):
        invitation.accept("acc2", NOW)


def test_settings_read_the_config_section():
    settings = IdentitySettings.from_config({
        "password_min_length": 16, "session_idle_seconds": 60, "max_failures_per_ip": 7,
        "argon2": {"time_cost": 1, "memory_cost_kib": 1024}})
    assert settings.password.min_length == 16 and settings.session_idle == timedelta(minutes=1)
    assert settings.ip_throttle.max_failures == 7 and settings.argon2.memory_cost_kib == 1024
