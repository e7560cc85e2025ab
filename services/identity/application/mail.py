"""The emails identity sends, as text: what they say is the use case's business, how
they leave is infrastructure's (``ports.Mailer``)."""
from __future__ import annotations

from datetime import datetime

from services.identity.application.ports import MailMessage

RESET_SUBJECT = "Choose a new password for AlpesPartners"


def reset_link(public_base_url: str, token: str) -> str:
    """The web app's reset page; the token rides in the fragment, which no server or
    proxy log sees."""
    return f"{public_base_url.rstrip('/')}/app/reset#token={token}"


def reset_link_mail(to: str, link: str, expires_at: datetime) -> MailMessage:
    return MailMessage(to=to, subject=RESET_SUBJECT, text=(
        "Someone (we hope you) asked to choose a new password for the AlpesPartners\n"
        f"account {to}.\n\n"
        f"Choose it here:\n{link}\n\n"
        f"The link works once, until {expires_at:%Y-%m-%d %H:%M} UTC. Using it signs the\n"
        "account out everywhere.\n\n"
        "If you did not ask, ignore this email: your password stays as it is.\n"))
