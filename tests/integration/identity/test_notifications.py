"""Identity tells people about campaigns' applications by email: the service container
over the real broker and database (SQLite and PostgreSQL), the mails in a Maildir. A
partner applies: the brand's active users are told; the brand approves or declines: the
partner is; a payout is sent or fails: the partner is. An event delivered twice sends
its mails once."""
import mailbox
import time
import uuid

from kombu import Connection
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ClusterRpcProxy

from common.contracts import campaigns, commissions, payouts
from common.contracts.examples import example
from common.contracts.identity import secret_digest
from common.seedwork.application.integration import IntegrationEvent
from tests.integration.identity.test_identity_service import BRAND, PARTNER, PASSWORD
from tests.integration.identity.test_mail import identity
from tests.support import publish_event, wait_for

CAMPAIGN = str(uuid.uuid4())
CAMPAIGN_PAGE = f"https://partners.example.com/app/brands/{BRAND}/campaigns/{CAMPAIGN}"


def brand_user(rpc, email: str) -> str:
    invited = rpc.identity.invite_brand_user({
        "brand_id": BRAND, "email": email, "brand_role": "owner", "invited_by": "admin:ops",
        "brand_name": "Acme"})
    return rpc.identity.accept_invitation({"token_digest": secret_digest(invited["token"]),
                                           "password": PASSWORD})["account_id"]


def publish_twice(config, contract, payload) -> None:
    """One event delivered twice, as a redelivery would (the same event id)."""
    message = IntegrationEvent.new(source=contract.source, type=contract.name,
                                   version=contract.version,
                                   payload=contract.serialize(payload)).to_message()
    exchange = get_event_exchange(contract.source, config)
    with Connection(config["AMQP_URI"]) as conn:
        producer = conn.Producer(serializer="json")
        for _ in range(2):
            producer.publish(message, exchange=exchange, routing_key=message["type"],
                             declare=[exchange])


def about_applications(mail_dir) -> list:
    return [message for message in mailbox.Maildir(mail_dir).values()
            if "invited" not in message["Subject"]]


def test_applications_and_decisions_are_emailed_once_to_whom_they_concern(
        rabbit_config, make_db_uri, db_kind, container_factory, tmp_path):
    mail_dir = tmp_path / "mail"
    config = identity(rabbit_config, make_db_uri, db_kind, container_factory,
                      mail_url=f"maildir:{mail_dir}")
    with ClusterRpcProxy(config, timeout=10) as rpc:
        brand_user(rpc, "bo@example.com")
        gone = brand_user(rpc, "gone@example.com")
        brand_user(rpc, "cy@example.com")
        rpc.identity.remove_brand_user(BRAND, gone)
        rpc.identity.create_partner_account({"partner_id": PARTNER, "email": "ana@example.com",
                                             "password": PASSWORD})
    applied = {**example(campaigns.ENROLLMENT_REQUESTED), "brand_id": BRAND,
               "campaign_id": CAMPAIGN, "partner_id": PARTNER, "campaign_name": "Ambassadors"}
    publish_twice(config, campaigns.ENROLLMENT_REQUESTED, applied)
    told = wait_for(lambda: (lambda found: found if len(found) >= 2 else None)(
        about_applications(mail_dir)), timeout=15, message="the brand's users told")

    enrolled_at_once = {**example(campaigns.PARTNER_ENROLLED), "partner_id": PARTNER}
    publish_event(config, campaigns.PARTNER_ENROLLED, enrolled_at_once)  # no news: no mail
    approved = {**enrolled_at_once, "applied_at": applied["applied_at"], "revision": 2,
                "campaign": {**enrolled_at_once["campaign"], "name": "Ambassadors"}}
    publish_twice(config, campaigns.PARTNER_ENROLLED, approved)
    publish_event(config, campaigns.ENROLLMENT_DECLINED, {
        **example(campaigns.ENROLLMENT_DECLINED), "partner_id": PARTNER,
        "campaign_name": "Winter deals"})
    wait_for(lambda: len(about_applications(mail_dir)) >= 4, timeout=15,
             message="the partner told twice")
    time.sleep(1)  # a second delivery's mails, were they sent, would be in by now
    every = {(m["To"], m["Subject"]) for m in about_applications(mail_dir)}
    assert sorted(every) == [
        ("ana@example.com", "You are in: Ambassadors"),
        ("ana@example.com", "Your application to Winter deals"),
        ("bo@example.com", "A partner applied to Ambassadors"),
        ("cy@example.com", "A partner applied to Ambassadors")]
    assert len(about_applications(mail_dir)) == 4  # each event's mails once
    assert CAMPAIGN_PAGE in told[0].get_payload(decode=True).decode()
    [refusal] = [m for m in about_applications(mail_dir) if "Winter" in m["Subject"]]
    assert ("What they said: We work with EU partners only for now."
            in refusal.get_payload(decode=True).decode())


def partner_inbox(rabbit_config, make_db_uri, db_kind, container_factory, tmp_path):
    """Identity running with a Maildir, and Ana's partner account: (config, mail dir)."""
    mail_dir = tmp_path / "mail"
    config = identity(rabbit_config, make_db_uri, db_kind, container_factory,
                      mail_url=f"maildir:{mail_dir}")
    with ClusterRpcProxy(config, timeout=10) as rpc:
        rpc.identity.create_partner_account({"partner_id": PARTNER, "email": "ana@example.com",
                                             "password": PASSWORD})
    return config, mail_dir


def mails_once(mail_dir, count: int, message: str) -> dict:
    """The ``count`` mails expected, by subject, once each (a second delivery's mail,
    were it sent, would be in a second later)."""
    def mails():
        found = {m["Subject"]: m for m in mailbox.Maildir(mail_dir).values()}
        return found if len(found) >= count else None

    found = wait_for(mails, timeout=15, message=message)
    time.sleep(1)
    assert len(mailbox.Maildir(mail_dir)) == count
    return found


def test_a_partner_is_emailed_once_of_its_payouts_its_bonus_and_a_declined_commission(
        rabbit_config, make_db_uri, db_kind, container_factory, tmp_path):
    config, mail_dir = partner_inbox(rabbit_config, make_db_uri, db_kind, container_factory,
                                     tmp_path)
    paid = {**example(payouts.PAYOUT_PAID), "partner_id": PARTNER,
            "amount": {"amount": "20.5", "currency": "USD"}, "cycle": "2026-12"}
    publish_twice(config, payouts.PAYOUT_PAID, paid)
    publish_event(config, payouts.PAYOUT_FAILED, {
        **example(payouts.PAYOUT_FAILED), "partner_id": PARTNER,
        "amount": {"amount": "7", "currency": "EUR"}, "cycle": "2026-11",
        "reason": "account_closed"})
    publish_event(config, payouts.PAYOUT_PAID, {  # a partner with no account here
        **example(payouts.PAYOUT_PAID), "partner_id": str(uuid.uuid4())})
    publish_twice(config, commissions.BONUS_AWARDED, {
        **example(commissions.BONUS_AWARDED), "partner_id": PARTNER})
    publish_twice(config, commissions.COMMISSION_DECLINED, {
        **example(commissions.COMMISSION_DECLINED), "partner_id": PARTNER})

    found = mails_once(mail_dir, 4, "the partner told of both payouts, its bonus, a decline")
    assert sorted(found) == ["A commission of 20.00 USD was declined",
                             "You earned a bonus of 25.00 USD",
                             "Your payout of 20.50 USD is on its way",
                             "Your payout of 7.00 EUR did not go through"]
    bonus = found["You earned a bonus of 25.00 USD"].get_payload(decode=True).decode()
    assert "Great launch video" in bonus and "/app/partner/commissions" in bonus
    failed = found["Your payout of 7.00 EUR did not go through"].get_payload(decode=True)
    assert "The payment provider said: account_closed." in failed.decode()
    assert "/app/partner/profile" in failed.decode()


def test_a_partner_is_emailed_once_when_the_brand_changes_its_link_commission_or_code(
        rabbit_config, make_db_uri, db_kind, container_factory, tmp_path):
    config, mail_dir = partner_inbox(rabbit_config, make_db_uri, db_kind, container_factory,
                                     tmp_path)
    suspended = {**example(campaigns.ENROLLMENT_SUSPENDED), "partner_id": PARTNER,
                 "reason": "brand_suspended", "campaign_name": "Spring sale",
                 "note": "Checking your traffic"}
    publish_twice(config, campaigns.ENROLLMENT_SUSPENDED, suspended)
    publish_event(config, campaigns.ENROLLMENT_SUSPENDED, {  # the platform's: no mail
        **suspended, "reason": "partner_suspended", "campaign_name": None, "note": None})
    publish_event(config, campaigns.ENROLLMENT_REACTIVATED, {
        **example(campaigns.ENROLLMENT_REACTIVATED), "partner_id": PARTNER,
        "reason": "brand_reactivated", "campaign_name": "Spring sale"})

    publish_twice(config, campaigns.ENROLLMENT_COMMISSION_CHANGED, {
        **example(campaigns.ENROLLMENT_COMMISSION_CHANGED), "partner_id": PARTNER})
    code_changed = {**example(campaigns.ENROLLMENT_CODE_CHANGED), "partner_id": PARTNER}
    publish_event(config, campaigns.ENROLLMENT_CODE_CHANGED, code_changed)  # its own: no mail
    publish_twice(config, campaigns.ENROLLMENT_CODE_CHANGED, {
        **code_changed, "changed_by": "brand", "revision": 6})

    found = mails_once(mail_dir, 4, "the partner told of the four changes")
    assert sorted(found) == ["Your link for Spring sale has a new code",
                             "Your link for Spring sale is suspended",
                             "Your link for Spring sale works again",
                             "Your own commission for Spring sale"]
    coded = found["Your link for Spring sale has a new code"].get_payload(decode=True).decode()
    assert "http://localhost:8000/r/bea10" in coded and "(bea-spring) no longer work" in coded
    own = found["Your own commission for Spring sale"].get_payload(decode=True).decode()
    assert "your orders earn 15 % of each order, at most 50.00 USD" in own
    text = found["Your link for Spring sale is suspended"].get_payload(decode=True).decode()
    assert "What they said: Checking your traffic" in text and "/app/partner/links" in text
