"""What identity emails about campaigns' applications and partners' payouts, and which
events it emails about."""
from common.contracts import campaigns, commissions, payouts
from common.contracts.examples import example
from common.seedwork.application.integration import receive
from services.identity.application import inbound
from services.identity.application.mail import (
    application_decided_mail,
    application_mail,
    bonus_mail,
    code_changed_mail,
    commission_changed_mail,
    commission_declined_mail,
    link_changed_mail,
    payout_mail,
)


def received(contract, payload):
    return receive({"event_id": "7c1e5b2a-9d4f-4e6a-8b3c-2f1d0e9a8b7c", "type": contract.name,
                    "version": contract.version, "source": contract.source,
                    "occurred_at": "2026-11-29T12:00:00Z", "payload": payload}, contract)


def test_only_an_approved_application_is_news_to_the_partner():
    at_once = example(campaigns.PARTNER_ENROLLED)
    assert inbound.application_decided(received(campaigns.PARTNER_ENROLLED, at_once)) is None
    approved = inbound.application_decided(received(campaigns.PARTNER_ENROLLED, {
        **at_once, "applied_at": "2026-11-28T09:00:00Z"}))
    assert (approved.approved, approved.campaign_name) == (True, at_once["campaign"]["name"])
    declined = inbound.application_decided(received(
        campaigns.ENROLLMENT_DECLINED, example(campaigns.ENROLLMENT_DECLINED)))
    assert (declined.approved, declined.campaign_name, declined.reason) == (
        False, "Spring sale", "We work with EU partners only for now.")


def test_the_mails_say_what_happened_with_a_one_line_subject():
    applied = application_mail("bo@example.com", "Spring\nsale", "https://x.example/app/c")
    assert applied.subject == "A partner applied to Spring sale"
    assert "https://x.example/app/c" in applied.text and "approve or decline" in applied.text
    approved = application_decided_mail("ana@example.com", "Spring sale", True, "L")
    declined = application_decided_mail("ana@example.com", "Spring sale", False, "C")
    assert (approved.subject, declined.subject) == ("You are in: Spring sale",
                                                    "Your application to Spring sale")
    assert "approved" in approved.text and "declined" in declined.text


def test_a_refusal_s_reason_is_in_the_mail_when_the_brand_gave_one():
    said = application_decided_mail("ana@example.com", "Spring sale", False, "C",
                                    reason="Outside our markets for now.")
    silent = application_decided_mail("ana@example.com", "Spring sale", False, "C")
    assert "What they said: Outside our markets for now." in said.text
    assert "What they said" not in silent.text


def test_a_payout_s_outcome_is_news_to_its_partner_in_its_own_words():
    def paid(amount, currency):
        return inbound.payout_outcome(received(payouts.PAYOUT_PAID, {
            **example(payouts.PAYOUT_PAID), "amount": {"amount": amount, "currency": currency}}))

    cents, yen = paid("20.5", "USD"), paid("1234", "JPY")  # padded to the minor unit
    assert (cents.paid, cents.amount, cents.cycle, cents.reason) == (
        True, "20.50 USD", "2026-12", None)
    assert yen.amount == "1234 JPY"
    failed = inbound.payout_outcome(received(payouts.PAYOUT_FAILED,
                                             example(payouts.PAYOUT_FAILED)))
    assert (failed.paid, failed.reason) == (False, "account_closed")
    sent = payout_mail("ana@example.com", "20.00 USD", "2026-12", True, "P")
    refused = payout_mail("ana@example.com", "20.00 USD", "2026-12", False, "M",
                          reason="account\nclosed")
    assert sent.subject == "Your payout of 20.00 USD is on its way"
    assert refused.subject == "Your payout of 20.00 USD did not go through"
    assert "provider said: account closed." in refused.text and "next payout" in refused.text


def test_only_the_brand_s_suspension_of_a_link_is_news_and_its_word_is_in_the_mail():
    def told(contract, reason, **extra):
        return inbound.link_changed(received(contract, {
            **example(contract), "reason": reason, **extra}))

    suspended = told(campaigns.ENROLLMENT_SUSPENDED, "brand_suspended",
                     campaign_name="Spring sale", note="Checking your traffic")
    assert (suspended.suspended, suspended.campaign_name, suspended.note) == (
        True, "Spring sale", "Checking your traffic")
    assert told(campaigns.ENROLLMENT_REACTIVATED, "brand_reactivated").suspended is False
    for reason in ("partner_suspended", "partner_left"):
        assert told(campaigns.ENROLLMENT_SUSPENDED, reason) is None
    assert told(campaigns.ENROLLMENT_REACTIVATED, "partner_rejoined") is None
    mail = link_changed_mail("ana@example.com", "Spring sale", True, "L", "Checking")
    assert mail.subject == "Your link for Spring sale is suspended"
    assert "What they said: Checking" in mail.text
    older = link_changed_mail("ana@example.com", None, False, "L")  # no name in the event
    assert older.subject == "Your link for a campaign works again"


def test_a_partner_reads_its_own_commission_as_a_person_would():
    def told(commission):
        return inbound.commission_changed(received(campaigns.ENROLLMENT_COMMISSION_CHANGED, {
            **example(campaigns.ENROLLMENT_COMMISSION_CHANGED), "commission": commission}))

    usd = {"currency": "USD"}
    rate = told({"model": "CPS", "rate": "0.125", "min": {**usd, "amount": "1"},
                 "max": {**usd, "amount": "50"}, "amount": None})
    assert (rate.campaign_name, rate.figures) == (
        "Spring sale", "12.5 % of each order, at least 1.00 USD, at most 50.00 USD")
    assert told({"model": "CPS", "rate": "0.20"}).figures == "20 % of each order"
    fixed = told({"model": "CPA", "rate": None, "amount": {"amount": "12", "currency": "JPY"}})
    assert fixed.figures == "12 JPY per order"
    assert told(None).figures is None
    own = commission_changed_mail("ana@example.com", "Spring sale", "20 % of each order", "L")
    back = commission_changed_mail("ana@example.com", "Spring sale", None, "L")
    assert own.subject == "Your own commission for Spring sale"
    assert "your orders earn 20 % of each order" in own.text and "keep what" in own.text
    assert "the campaign's commission" in back.text


def test_only_a_code_the_brand_chose_is_news_to_the_partner():
    def told(changed_by):
        return inbound.code_changed(received(campaigns.ENROLLMENT_CODE_CHANGED, {
            **example(campaigns.ENROLLMENT_CODE_CHANGED), "changed_by": changed_by}))

    assert told("partner") is None
    command = told("brand")
    assert (command.campaign_name, command.tracking_url, command.previous_code) == (
        "Spring sale", "http://localhost:8000/r/bea10", "bea-spring")
    mail = code_changed_mail("ana@example.com", "Spring\nsale", command.tracking_url,
                             "bea-spring", "L")
    assert mail.subject == "Your link for Spring sale has a new code"
    assert "Share this link from now on:\nhttp://localhost:8000/r/bea10" in mail.text
    assert "Links with the previous code (bea-spring) no longer work." in mail.text


def test_a_declined_commission_is_news_to_its_partner_with_the_brand_s_reason():
    def told(**changes):
        return inbound.commission_declined(received(commissions.COMMISSION_DECLINED, {
            **example(commissions.COMMISSION_DECLINED), **changes}))

    order = told()
    assert (order.amount, order.what, order.reason) == ("20.00 USD", "an order",
                                                        "order returned")
    assert told(conversion_id=None).what == "clicks"
    bonus = told(conversion_id=None, kind="bonus", note="Great launch video")
    assert bonus.what == "the bonus “Great launch video”"
    older = told(declined_amount=None)  # an event of before the field: no figure
    assert older.amount is None
    mail = commission_declined_mail("ana@example.com", "20.00 USD", "an order",
                                    "Order\nreturned", "L")
    assert mail.subject == "A commission of 20.00 USD was declined"
    assert "for an order on AlpesPartners: it will not be paid." in mail.text
    assert "What they said: Order returned" in mail.text
    assert commission_declined_mail("a@example.com", None, "clicks", "x", "L").subject == (
        "A commission was declined")


def test_a_bonus_is_news_to_its_partner_with_what_it_is_for():
    told = inbound.bonus_awarded(received(commissions.BONUS_AWARDED, {
        **example(commissions.BONUS_AWARDED), "amount": {"amount": "25", "currency": "USD"}}))
    assert (told.amount, told.campaign_name, told.note) == (
        "25.00 USD", "Spring sale", "Great launch video")
    mail = bonus_mail("ana@example.com", "25.00 USD", "Spring\nsale", "Great launch video", "L")
    assert mail.subject == "You earned a bonus of 25.00 USD"
    assert "for Spring sale" in mail.text and "What it is for: Great launch video" in mail.text
    assert "next payout" in mail.text
    nameless = bonus_mail("a@example.com", "1.00 USD", None, "x", "L")  # no name given
    assert "a bonus of 1.00 USD on AlpesPartners" in nameless.text
