"""The emails identity sends, as text: what they say is the use case's business, how
they leave is infrastructure's (``ports.Mailer``)."""
from __future__ import annotations

from datetime import datetime

from services.identity.application.ports import MailMessage

RESET_SUBJECT = "Choose a new password for AlpesPartners"


def app_page(public_base_url: str, page: str) -> str:
    """A page of the web app: ``<base>/app/<page>``."""
    return f"{public_base_url.rstrip('/')}/app/{page}"


def app_link(public_base_url: str, page: str, token: str) -> str:
    """A web app page taking a token (``reset``, ``accept``); the token rides in the
    fragment, which no server or proxy log sees."""
    return f"{app_page(public_base_url, page)}#token={token}"


def reset_link_mail(to: str, link: str, expires_at: datetime) -> MailMessage:
    return MailMessage(to=to, subject=RESET_SUBJECT, text=(
        "Someone (we hope you) asked to choose a new password for the AlpesPartners\n"
        f"account {to}.\n\n"
        f"Choose it here:\n{link}\n\n"
        f"The link works once, until {expires_at:%Y-%m-%d %H:%M} UTC. Using it signs the\n"
        "account out everywhere.\n\n"
        "If you did not ask, ignore this email: your password stays as it is.\n"))


def invitation_mail(to: str, link: str, *, brand_name: str | None, brand_role: str,
                    expires_at: datetime) -> MailMessage:
    name = " ".join((brand_name or "").split())  # one line: a subject holds no line break
    team = f"{name}'s team" if name else "a brand's team"
    return MailMessage(to=to, subject=f"You are invited to join {team} on AlpesPartners",
                       text=(
        f"You are invited to join {team} on AlpesPartners, as {brand_role}.\n\n"
        f"Choose your password here to accept:\n{link}\n\n"
        f"The invitation works once, until {expires_at:%Y-%m-%d %H:%M} UTC.\n\n"
        "If you did not expect it, ignore this email: nothing is made without you.\n"))


def _one_line(text: str) -> str:
    return " ".join(text.split())  # a subject holds no line break


def application_mail(to: str, campaign_name: str, link: str) -> MailMessage:
    name = _one_line(campaign_name)
    return MailMessage(to=to, subject=f"A partner applied to {name}", text=(
        f"A partner applied to your campaign {name} on AlpesPartners.\n\n"
        f"Read what they wrote, and approve or decline the application, here:\n{link}\n\n"
        "Their link works only once you approve them.\n"))


def link_changed_mail(to: str, campaign_name: str | None, suspended: bool, link: str,
                      note: str | None = None) -> MailMessage:
    """The brand suspended the partner's link (with its word, if any), or lifted that."""
    name = _one_line(campaign_name) if campaign_name else "a campaign"
    if not suspended:
        return MailMessage(to=to, subject=f"Your link for {name} works again", text=(
            f"The brand reactivated your referral link for {name} on AlpesPartners: its "
            f"clicks and orders earn again.\n\nYour links:\n{link}\n"))
    said = f"What they said: {note}\n\n" if note else ""
    return MailMessage(to=to, subject=f"Your link for {name} is suspended", text=(
        f"The brand suspended your referral link for {name} on AlpesPartners: until it "
        "reactivates it, its clicks and orders earn nothing.\n\n"
        f"{said}Your links:\n{link}\n"))


def bonus_mail(to: str, amount: str, campaign_name: str | None, note: str,
               link: str) -> MailMessage:
    """A brand's one-off bonus: approved already, paid with the next payout."""
    where = f" for {_one_line(campaign_name)}" if campaign_name else ""
    return MailMessage(to=to, subject=f"You earned a bonus of {amount}", text=(
        f"The brand awarded you a bonus of {amount}{where} on AlpesPartners.\n\n"
        f"What it is for: {_one_line(note)}\n\nIt is approved already: it goes into "
        f"your next payout. Your commissions:\n{link}\n"))


def commission_declined_mail(to: str, amount: str | None, what: str, reason: str,
                             link: str) -> MailMessage:
    """The brand declined one of the partner's commissions, saying why."""
    of = f" of {amount}" if amount else ""
    return MailMessage(to=to, subject=f"A commission{of} was declined", text=(
        f"The brand declined your commission{of} for {_one_line(what)} on "
        f"AlpesPartners: it will not be paid.\n\nWhat they said: {_one_line(reason)}\n\n"
        f"Your commissions:\n{link}\n"))


def commission_changed_mail(to: str, campaign_name: str, figures: str | None,
                            link: str) -> MailMessage:
    """The brand gave the partner its own commission, or took it back."""
    name = _one_line(campaign_name)
    if figures is None:
        return MailMessage(to=to, subject=f"Your commission for {name}", text=(
            f"From now on, your orders for {name} on AlpesPartners earn the campaign's "
            f"commission, as every partner's do.\n\nYour links:\n{link}\n"))
    return MailMessage(to=to, subject=f"Your own commission for {name}", text=(
        f"The brand set your own commission for {name} on AlpesPartners: from now on, "
        f"your orders earn {figures}.\n\nOrders placed before keep what they "
        f"earned.\n\nYour links:\n{link}\n"))


def code_changed_mail(to: str, campaign_name: str, tracking_url: str, previous_code: str,
                      link: str) -> MailMessage:
    """The brand gave the partner's link a code of its choosing."""
    name = _one_line(campaign_name)
    return MailMessage(to=to, subject=f"Your link for {name} has a new code", text=(
        f"The brand gave your link for {name} on AlpesPartners a code of its own. Share "
        f"this link from now on:\n{tracking_url}\n\nLinks with the previous code "
        f"({_one_line(previous_code)}) no longer work.\n\nYour links:\n{link}\n"))


def payout_mail(to: str, amount: str, cycle: str, paid: bool, link: str,
                reason: str | None = None) -> MailMessage:
    """A payout sent, or one the payment provider refused (its commissions wait for the
    next cycle: the partner checks its payout method)."""
    if paid:
        return MailMessage(to=to, subject=f"Your payout of {amount} is on its way", text=(
            f"AlpesPartners sent your payout of {amount} for {cycle} to your payout "
            f"method.\n\nEvery commission it pays, on your payouts page:\n{link}\n"))
    said = f" The payment provider said: {_one_line(reason)}." if reason else ""
    return MailMessage(to=to, subject=f"Your payout of {amount} did not go through", text=(
        f"Your payout of {amount} for {cycle} could not be sent.{said}\n\n"
        "Nothing is lost: its commissions are owed to you still and go into the next "
        "payout. Check that your payout method is right, in your profile:\n"
        f"{link}\n"))


def application_decided_mail(to: str, campaign_name: str, approved: bool,
                             link: str, reason: str | None = None) -> MailMessage:
    name = _one_line(campaign_name)
    if approved:
        return MailMessage(to=to, subject=f"You are in: {name}", text=(
            f"The brand approved your application to {name} on AlpesPartners.\n\n"
            f"Your referral link is ready, on your links page:\n{link}\n\n"
            "Each order it brings earns you the campaign's commission.\n"))
    said = f"What they said: {reason}\n\n" if reason else ""
    return MailMessage(to=to, subject=f"Your application to {name}", text=(
        f"The brand declined your application to {name} on AlpesPartners.\n\n"
        f"{said}Other campaigns may suit you better:\n{link}\n"))
