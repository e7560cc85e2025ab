"""Identity's use cases on in-memory fakes (a cheap hasher instead of argon2)."""
import re
from datetime import UTC, datetime, timedelta

import pytest

from common.contracts.identity import InvalidCredentials, LoginThrottled, secret_digest
from common.seedwork.application.bus import MessageBus
from common.seedwork.errors import Conflict, NotFound, ServiceUnavailable, ValidationError
from common.seedwork.infrastructure.memory import InMemoryRepository, InMemoryUnitOfWork
from services.identity.application import commands, queries
from services.identity.application.handlers import HANDLERS
from services.identity.application.integration_events import TRANSLATOR
from services.identity.application.settings import IdentitySettings
from tests.clock import Clock

PASSWORD = "correct horse battery staple"
PARTNER = "6f1c2a54-0d7e-4a8e-9a57-2c1f1b0e7a01"


class Accounts(InMemoryRepository):
    def add(self, account):
        if self.get_by_email(account.email):
            raise Conflict(fields={"email": ["Already has an account."]})
        super().add(account)

    def get_by_email(self, email):
        return self.first(lambda a: a.email == email.strip().lower())

    def delete(self, account):
        del self.items[account.id]
        self._track(account)

    def awaiting_partner(self, unchanged_since, limit):
        waiting = self.find(lambda a: a.awaiting_partner and a.updated_at <= unchanged_since)
        return sorted(waiting, key=lambda a: a.updated_at)[:limit]


class Sessions(InMemoryRepository):
    def get_by_token(self, digest):
        return self.first(lambda s: s.token_digest == digest)

    def open_of(self, account_id):
        return self.find(lambda s: s.account_id == account_id and s.revoked_at is None)


class Keys(InMemoryRepository):
    def get_by_digest(self, digest):
        return self.first(lambda k: k.secret_digest == digest)


class Invitations(InMemoryRepository):
    def get_by_token(self, digest):
        return self.first(lambda i: i.token_digest == digest)


class PasswordResets(InMemoryRepository):
    def get_by_token(self, digest):
        return self.first(lambda r: r.token_digest == digest)

    def void_unused(self, account_id, now):
        unused = [r for r in self.items.values()
                  if r.account_id == account_id and r.used_at is None]
        for reset in unused:
            reset.used_at = now
        return len(unused)

    def last_issued_at(self, account_id):
        return max((r.created_at for r in self.items.values() if r.account_id == account_id),
                   default=None)


class Throttles(InMemoryRepository):
    """Counters, not aggregates: nothing to collect events from."""

    def get(self, key, *, for_update=False):
        return self.items.get(key)

    def put(self, throttle):
        self.items[throttle.id] = throttle


class FakePartners:
    """partners as the sweep sees it: the partner ids it has; ``down`` when it cannot
    answer; ``on_ask`` runs before each answer (what happens meanwhile)."""

    def __init__(self):
        self.registered, self.asked, self.down, self.on_ask = set(), [], False, None

    def has_partner(self, partner_id):
        self.asked.append(partner_id)
        if self.on_ask:
            self.on_ask()
        if self.down:
            raise ServiceUnavailable("partners.get_partner is not running.")
        return partner_id in self.registered


class FakeHasher:
    def __init__(self):
        self.verified = 0

    def hash(self, password):
        return f"fake${password[::-1]}"

    def verify(self, password_hash, password):
        self.verified += 1
        return password_hash is not None and password_hash == self.hash(password)

    def needs_rehash(self, password_hash):
        return False


class FakeMailer:
    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)


@pytest.fixture
def mailer():
    return FakeMailer()


@pytest.fixture
def world(mailer):
    uow = InMemoryUnitOfWork(translator=TRANSLATOR, accounts=Accounts(), sessions=Sessions(),
                             api_keys=Keys(), invitations=Invitations(), throttles=Throttles(),
                             password_resets=PasswordResets())
    clock, hasher = Clock(datetime(2026, 12, 1, 12, tzinfo=UTC)), FakeHasher()
    settings = IdentitySettings.from_config({"max_failures_per_account": 3})
    bus = MessageBus(uow, HANDLERS, {"clock": clock, "hasher": hasher, "settings": settings,
                                     "partners": FakePartners(), "mailer": mailer})
    return bus, uow, clock, hasher


def log_in(bus, email="ana@example.com", password=PASSWORD):
    return bus.handle(commands.LogIn(email=email, password=password, ip="10.0.0.1"))


def test_unknown_email_costs_a_verification_and_a_failure_like_a_wrong_password(world):
    bus, uow, _, hasher = world
    bus.handle(commands.CreatePartnerAccount(partner_id=PARTNER, email="ana@example.com",
                                             password=PASSWORD))
    for email in ("ana@example.com", "nobody@example.com"):
        with pytest.raises(InvalidCredentials):
            log_in(bus, email, "wrong")
    assert hasher.verified == 2 and len(uow.throttles.items) == 3  # 2 emails + 1 IP


def test_a_locked_email_is_refused_even_with_the_right_password_until_the_lockout_ends(world):
    bus, _, clock, _ = world
    bus.handle(commands.CreateAdmin(email="ops@example.com", password=PASSWORD))
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            log_in(bus, "ops@example.com", "wrong")
    with pytest.raises(LoginThrottled) as locked:
        log_in(bus, "ops@example.com")
    assert locked.value.fields == {"retry_after": ["900"]}
    clock.now += timedelta(minutes=16)
    assert log_in(bus, "ops@example.com")["account"]["role"] == "admin"


def test_a_session_authenticates_by_digest_until_logged_out(world):
    bus, uow, _, _ = world
    bus.handle(commands.CreateAdmin(email="ops@example.com", password=PASSWORD))
    token = log_in(bus, "ops@example.com")["session"]["token"]
    found = bus.query(queries.AuthenticateSession(token_digest=secret_digest(token)))
    assert found["account"]["email"] == "ops@example.com" and "token" not in found
    bus.handle(commands.LogOut(token_digest=secret_digest(token)))
    assert bus.query(queries.AuthenticateSession(token_digest=secret_digest(token))) is None
    [event] = uow.published("session_revoked")
    assert event.payload["reason"] == "logout" and token not in str(event.payload)


def test_a_weak_password_creates_nothing(world):
    bus, uow, _, _ = world
    with pytest.raises(ValidationError) as refused:
        bus.handle(commands.CreateAdmin(email="ops@example.com", password="short"))
    assert set(refused.value.fields) == {"password"}
    assert uow.accounts.items == {} and uow.outbox == []


def open_partner_account(bus, password=PASSWORD, partner_id=PARTNER, email="Ana@example.com"):
    return bus.handle(commands.CreatePartnerAccount(partner_id=partner_id, email=email,
                                                    password=password))


def test_a_sign_up_is_finished_again_only_with_its_password(world):
    bus, uow, _, _ = world
    made = open_partner_account(bus)
    other_id = "7a2d3b65-1e8f-4b9f-8b68-3d2a2c1f8b02"
    again = open_partner_account(bus, partner_id=other_id)  # the id chosen this time: unused
    assert again == made and again["partner_id"] == PARTNER
    with pytest.raises(Conflict) as refused:
        open_partner_account(bus, password="not the password at all", partner_id=other_id)
    assert refused.value.fields == {"email": ["Already has an account."]}
    assert len(uow.accounts.items) == 1 and len(uow.published("account_created")) == 1
    assert len(uow.throttles.items) == 1  # the wrong password counts towards the lock-out


def test_a_locked_email_finishes_no_sign_up(world):
    bus, _, clock, _ = world
    open_partner_account(bus)
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            log_in(bus, password="wrong")
    with pytest.raises(LoginThrottled):
        open_partner_account(bus)
    clock.now += timedelta(minutes=16)
    assert open_partner_account(bus)["partner_id"] == PARTNER


def test_an_admins_or_brand_users_email_finishes_no_sign_up(world):
    bus, _, _, _ = world
    bus.handle(commands.CreateAdmin(email="ops@example.com", password=PASSWORD))
    with pytest.raises(Conflict):
        open_partner_account(bus, email="ops@example.com")  # even with its password


def test_withdrawing_deletes_only_the_account_made_for_that_partner(world):
    bus, uow, _, _ = world
    made = open_partner_account(bus)
    other = "7a2d3b65-1e8f-4b9f-8b68-3d2a2c1f8b02"
    assert not bus.handle(commands.WithdrawPartnerAccount(account_id=made["account_id"],
                                                          partner_id=other))
    assert bus.handle(commands.WithdrawPartnerAccount(account_id=made["account_id"],
                                                      partner_id=PARTNER))
    assert uow.accounts.items == {}
    [event] = uow.published("account_withdrawn")
    assert event.payload["partner_id"] == PARTNER and event.payload["email"] == "ana@example.com"
    assert not bus.handle(commands.WithdrawPartnerAccount(account_id=made["account_id"],
                                                          partner_id=PARTNER))
    assert open_partner_account(bus, password="a brand new passphrase")["partner_id"] == PARTNER


def change_password(bus, account_id, current=PASSWORD, new="a brand new passphrase",
                    keep=None):
    return bus.handle(commands.ChangePassword(account_id=account_id, current_password=current,
                                              new_password=new, keep_session_id=keep))


def test_a_changed_password_ends_every_other_session_and_is_the_one_that_logs_in(world):
    bus, uow, _, _ = world
    made = open_partner_account(bus)
    here = log_in(bus)["session"]
    elsewhere = log_in(bus)["session"]
    answer = change_password(bus, made["account_id"], keep=here["session_id"])
    assert answer == {"revoked": 1}
    open_ids = {s.id for s in uow.sessions.open_of(made["account_id"])}
    assert open_ids == {here["session_id"]}
    [event] = uow.published("session_revoked")
    assert event.payload["session_ids"] == [elsewhere["session_id"]]
    assert event.payload["reason"] == "password_changed"
    with pytest.raises(InvalidCredentials):
        log_in(bus)
    assert log_in(bus, password="a brand new passphrase")["account"]["email"] == "ana@example.com"


def test_a_refused_change_changes_nothing_and_wrong_passwords_lock_it_like_log_ins(world):
    bus, uow, _, _ = world
    made = open_partner_account(bus)
    log_in(bus)
    for new, field in (("short", "new_password"), (PASSWORD, "new_password")):
        with pytest.raises(ValidationError) as refused:
            change_password(bus, made["account_id"], new=new)
        assert set(refused.value.fields) == {field}
    for _ in range(3):
        with pytest.raises(ValidationError) as wrong:
            change_password(bus, made["account_id"], current="not the password at all")
        assert wrong.value.fields == {"current_password": ["Wrong password."]}
    with pytest.raises(LoginThrottled):
        change_password(bus, made["account_id"])  # the right one, but locked out
    assert uow.published("session_revoked") == []
    assert len(uow.sessions.open_of(made["account_id"])) == 1


def issue_reset(bus, email="ana@example.com"):
    return bus.handle(commands.IssuePasswordReset(email=email, issued_by="account:ops"))


def reset(bus, token, password="a brand new passphrase"):
    return bus.handle(commands.ResetPassword(token_digest=secret_digest(token),
                                             password=password))


def test_a_reset_link_sets_a_new_password_ends_every_session_and_lifts_the_lock_out(world):
    bus, uow, _, _ = world
    made = open_partner_account(bus)
    log_in(bus)
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            log_in(bus, password="wrong")
    issued = issue_reset(bus, "ANA@example.com ")
    assert issued["token"].startswith("pwr_") and issued["account"] == made
    assert issued["expires_at"] == "2026-12-02T12:00:00Z"  # 24 hours
    with pytest.raises(ValidationError) as weak:
        reset(bus, issued["token"], "short")
    assert set(weak.value.fields) == {"password"}  # and the link still works:
    assert reset(bus, issued["token"])["account_id"] == made["account_id"]
    assert uow.sessions.open_of(made["account_id"]) == []
    assert uow.published("session_revoked")[0].payload["reason"] == "password_changed"
    assert log_in(bus, password="a brand new passphrase")["account"]["role"] == "partner"
    with pytest.raises(ValidationError) as again:
        reset(bus, issued["token"], "yet another passphrase")
    assert again.value.fields == {"token": ["Unknown, used or expired reset link."]}


def test_a_newer_link_voids_the_older_and_a_link_expires(world):
    bus, _, clock, _ = world
    open_partner_account(bus)
    older, newer = issue_reset(bus), issue_reset(bus)
    with pytest.raises(ValidationError):
        reset(bus, older["token"])
    clock.now += timedelta(hours=24)
    with pytest.raises(ValidationError):
        reset(bus, newer["token"])
    with pytest.raises(NotFound):
        issue_reset(bus, "nobody@example.com")


# --- sign-ups never finished ------------------------------------------------------------------
OTHER_PARTNER = "7a2d3b65-1e8f-4b9f-8b68-3d2a2c1f8b02"
SWEEP = commands.SweepAbandonedSignUps()


def partners_of(bus):
    return bus.dependencies["partners"]


def test_a_sign_up_never_finished_is_withdrawn_after_seven_days_and_frees_its_email(world):
    bus, uow, clock, _ = world
    made = open_partner_account(bus)
    clock.now += timedelta(days=7) - timedelta(seconds=1)
    assert bus.handle(SWEEP) == {"withdrawn": 0, "confirmed": 0, "left": 0}
    assert partners_of(bus).asked == []  # not abandoned yet: partners is not asked
    clock.now += timedelta(seconds=1)
    assert bus.handle(SWEEP) == {"withdrawn": 1, "confirmed": 0, "left": 0}
    assert uow.accounts.items == {}
    [event] = uow.published("account_withdrawn")
    assert event.payload["account_id"] == made["account_id"]
    assert event.payload["partner_id"] == PARTNER
    assert open_partner_account(bus, password="a brand new passphrase",
                                partner_id=OTHER_PARTNER)["partner_id"] == OTHER_PARTNER


def test_an_account_whose_partner_exists_is_confirmed_and_never_asked_about_again(world):
    bus, uow, clock, _ = world
    made = open_partner_account(bus)
    bus.handle(commands.CreateAdmin(email="ops@example.com", password=PASSWORD))
    partners_of(bus).registered.add(PARTNER)
    clock.now += timedelta(days=8)
    assert bus.handle(SWEEP) == {"withdrawn": 0, "confirmed": 1, "left": 0}
    account = uow.accounts.get(made["account_id"])
    assert account.partner_confirmed_at == clock.now and not account.awaiting_partner
    clock.now += timedelta(days=30)
    assert bus.handle(SWEEP) == {"withdrawn": 0, "confirmed": 0, "left": 0}
    assert partners_of(bus).asked == [PARTNER]  # once; the admin never
    assert uow.published("account_withdrawn") == []


def test_partners_unable_to_answer_stops_the_sweep_and_changes_nothing(world):
    bus, uow, clock, _ = world
    open_partner_account(bus)
    open_partner_account(bus, email="bo@example.com", partner_id=OTHER_PARTNER)
    clock.now += timedelta(days=8)
    partners_of(bus).down = True
    assert bus.handle(SWEEP) == {"withdrawn": 0, "confirmed": 0, "left": 2}
    assert len(partners_of(bus).asked) == 1  # the first failure ends the run
    assert len(uow.accounts.items) == 2 and uow.published("account_withdrawn") == []
    partners_of(bus).down = False
    assert bus.handle(SWEEP) == {"withdrawn": 2, "confirmed": 0, "left": 0}


def test_signing_up_again_to_finish_restarts_the_delay(world):
    bus, uow, clock, _ = world
    made = open_partner_account(bus)
    clock.now += timedelta(days=6)
    assert open_partner_account(bus) == made  # resumed: partners is being asked to register
    clock.now += timedelta(days=6)
    assert bus.handle(SWEEP) == {"withdrawn": 0, "confirmed": 0, "left": 0}
    clock.now += timedelta(days=1)
    assert bus.handle(SWEEP)["withdrawn"] == 1


def test_a_sign_up_resumed_while_partners_is_asked_is_left_alone(world):
    bus, uow, clock, _ = world
    made = open_partner_account(bus)
    clock.now += timedelta(days=8)
    partners_of(bus).on_ask = lambda: open_partner_account(bus)  # the user is back meanwhile
    assert bus.handle(SWEEP) == {"withdrawn": 0, "confirmed": 0, "left": 1}
    assert uow.accounts.get(made["account_id"]).awaiting_partner
    assert uow.published("account_withdrawn") == []


def test_a_sign_up_resumed_just_after_the_sweep_withdrew_it_starts_afresh(world):
    """The retry read the old account, then the sweep withdrew it: the retry makes a
    new account for the partner id chosen this time, never answers the deleted one."""
    bus, uow, clock, hasher = world
    made = open_partner_account(bus)
    clock.now += timedelta(days=8)
    verify = hasher.verify

    def sweep_meanwhile(password_hash, password):  # between the retry's read and write
        hasher.verify = verify
        assert bus.handle(SWEEP)["withdrawn"] == 1
        return verify(password_hash, password)

    hasher.verify = sweep_meanwhile
    again = open_partner_account(bus, partner_id=OTHER_PARTNER)
    assert again["account_id"] != made["account_id"] and again["partner_id"] == OTHER_PARTNER
    assert [a.partner_id for a in uow.accounts.items.values()] == [OTHER_PARTNER]


# --- "Forgot your password?": a reset link by email ----------------------------------------
LINK = re.compile(r"http://localhost:8000/app/reset#token=(pwr_\S+)")


def forgot(bus, email="ana@example.com"):
    return bus.handle(commands.RequestPasswordReset(email=email, ip="10.0.0.9"))


def test_a_forgotten_password_is_reset_through_the_link_emailed_to_the_account(world, mailer):
    bus, uow, _, _ = world
    made = open_partner_account(bus)
    assert forgot(bus, " Ana@Example.com") == {"requested": True}
    [message] = mailer.sent
    assert message.to == "ana@example.com" and "new password" in message.subject
    assert "2026-12-02 12:00 UTC" in message.text  # the link's 24 hours
    token = LINK.search(message.text).group(1)
    [stored] = uow.password_resets.items.values()
    assert stored.token_digest == secret_digest(token) and token not in repr(stored)
    assert stored.issued_by == "self-service:10.0.0.9"
    assert reset(bus, token)["account_id"] == made["account_id"]
    assert log_in(bus, password="a brand new passphrase")["account"]["role"] == "partner"


def test_an_email_nobody_has_gets_the_same_answer_and_nothing_is_sent(world, mailer):
    bus, uow, _, _ = world
    open_partner_account(bus)
    assert forgot(bus, "nobody@example.com") == {"requested": True}
    assert mailer.sent == [] and uow.password_resets.items == {}


def test_at_most_one_email_per_interval_and_the_newest_link_voids_the_older(world, mailer):
    bus, _, clock, _ = world
    open_partner_account(bus)
    forgot(bus)
    clock.now += timedelta(seconds=59)
    assert forgot(bus) == {"requested": True}
    assert len(mailer.sent) == 1  # a second request within the minute sends nothing
    clock.now += timedelta(seconds=1)
    forgot(bus)
    first, second = (LINK.search(m.text).group(1) for m in mailer.sent)
    with pytest.raises(ValidationError):
        reset(bus, first)
    assert reset(bus, second)


def test_an_operators_fresh_link_also_counts_towards_the_interval(world, mailer):
    bus, _, _, _ = world
    open_partner_account(bus)
    issue_reset(bus)
    forgot(bus)
    assert mailer.sent == []


def test_without_a_mail_transport_every_email_is_refused_alike(world):
    bus, uow, clock, hasher = world
    no_mail = MessageBus(uow, HANDLERS, {"clock": clock, "hasher": hasher,
                                         "settings": IdentitySettings(), "partners": None,
                                         "mailer": None})
    open_partner_account(bus)
    for email in ("ana@example.com", "nobody@example.com"):
        with pytest.raises(ServiceUnavailable):
            forgot(no_mail, email)
    assert uow.password_resets.items == {}


# --- invitations, emailed --------------------------------------------------------------------
BRAND = "0b9f8e34-52c1-4f7a-8d0e-3a6c9d2b4e02"
ACCEPT = re.compile(r"http://localhost:8000/app/accept#token=(inv_\S+)")


def invite(bus, **changes):
    return bus.handle(commands.InviteBrandUser(**{
        "brand_id": BRAND, "email": "Bo@Example.com", "brand_role": "member",
        "invited_by": "account:owner", "brand_name": "Acme", **changes}))


def test_an_invitation_is_emailed_with_its_link_and_still_answered_once(world, mailer):
    bus, _, _, _ = world
    invited = invite(bus)
    [message] = mailer.sent
    assert message.to == "bo@example.com" and "Acme's team" in message.subject
    assert "as member" in message.text and "2026-12-08 12:00 UTC" in message.text  # 7 days
    assert ACCEPT.search(message.text).group(1) == invited["token"]
    assert invited["emailed"] is True
    account = bus.handle(commands.AcceptInvitation(token_digest=secret_digest(invited["token"]),
                                                   password=PASSWORD))
    assert account["brand_role"] == "member"


def test_a_brand_name_on_several_lines_makes_a_one_line_subject(world, mailer):
    bus, _, _, _ = world
    invite(bus, brand_name="Acme\r\nBcc: everyone@example.com")
    [message] = mailer.sent
    assert message.subject == ("You are invited to join Acme Bcc: everyone@example.com's "
                               "team on AlpesPartners")


def test_without_a_mail_transport_the_invitation_is_only_answered(world):
    bus, uow, clock, hasher = world
    no_mail = MessageBus(uow, HANDLERS, {"clock": clock, "hasher": hasher,
                                         "settings": IdentitySettings(), "partners": None,
                                         "mailer": None})
    invited = invite(no_mail, brand_name=None)
    assert invited["emailed"] is False and invited["token"].startswith("inv_")


# --- invitations, revoked --------------------------------------------------------------------
OTHER_BRAND = "5d0c1c5e-3f8a-4b7e-9c2d-1e6f7a8b9c0d"


def revoke(bus, invitation_id, brand_id=BRAND):
    return bus.handle(commands.RevokeInvitation(brand_id=brand_id, invitation_id=invitation_id))


def test_a_revoked_invitation_no_longer_lets_anyone_in(world):
    bus, _, _, _ = world
    invited = invite(bus)
    invitation_id = invited["invitation"]["invitation_id"]
    assert revoke(bus, invitation_id)["email"] == "bo@example.com"
    assert revoke(bus, invitation_id)["invitation_id"] == invitation_id  # again: the same
    with pytest.raises(ValidationError) as refused:
        bus.handle(commands.AcceptInvitation(token_digest=secret_digest(invited["token"]),
                                             password=PASSWORD))
    assert set(refused.value.fields) == {"token"}


def test_only_the_brands_own_pending_invitation_is_revoked(world):
    bus, _, _, _ = world
    invited = invite(bus)
    invitation_id = invited["invitation"]["invitation_id"]
    with pytest.raises(NotFound):
        revoke(bus, invitation_id, brand_id=OTHER_BRAND)
    bus.handle(commands.AcceptInvitation(token_digest=secret_digest(invited["token"]),
                                         password=PASSWORD))
    with pytest.raises(Conflict) as accepted:
        revoke(bus, invitation_id)
    assert set(accepted.value.fields) == {"invitation_id"}
