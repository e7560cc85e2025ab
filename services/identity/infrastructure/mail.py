"""How identity's emails leave: ``IDENTITY.mail_url`` names the transport.

* ``maildir:<directory>`` -- each message a file in a Maildir (``new/``), as a local mail
  server would deliver it: development, tests, or a host whose mail agent takes it from
  there. Written at once, in the caller's worker.
* ``smtp://[user:password@]host[:port]`` (STARTTLS when the server offers it),
  ``smtps://...`` (TLS from the start): sent by a green thread in the background, so the
  caller's answer does not wait on the mail server (whose time would show whether a
  message was sent). Three tries, 1 s and 5 s apart; then the failure is logged and the
  message dropped: the owner asks again. Nothing but the email depends on it (a message
  still being sent when identity stops is lost the same way).
  ``alpes_mail_messages_total{outcome}`` counts sent, retried and dropped messages (the
  ``MailDropped`` alert fires on a drop).
* ``none`` -- no transport (``mailer_from_url`` answers ``None``): use cases that must
  send refuse with ``ServiceUnavailable``.
"""
from __future__ import annotations

import logging
import mailbox
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

import eventlet

from common.nameko import metrics
from services.identity.application.ports import Mailer, MailMessage

log = logging.getLogger(__name__)

SERVICE = "identity"  # the metrics' service label
SMTP_TIMEOUT_SECONDS = 10
RETRY_DELAYS_SECONDS = (1, 5)


def email_of(message: MailMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or None)
    # plain ASCII as it is: a link stays one line, readable in the raw message (a Maildir
    # file); anything else quoted-printable, which every mail client decodes
    email.set_content(message.text,
                      cte="7bit" if message.text.isascii() else "quoted-printable")
    return email


class MaildirMailer:
    def __init__(self, directory: str, sender: str):
        self.maildir = mailbox.Maildir(directory, create=True)
        self.sender = sender

    def send(self, message: MailMessage) -> None:
        self.maildir.add(email_of(message, self.sender))
        _count("sent")


class SmtpMailer:
    def __init__(self, host: str, port: int, sender: str, *, tls: bool = False,
                 username: str | None = None, password: str | None = None,
                 sleep=time.sleep):
        self.host, self.port, self.sender, self.tls = host, port, sender, tls
        self.username, self.password = username, password
        self.sleep = sleep

    def send(self, message: MailMessage) -> None:
        """Sends, trying again after each delay; logs and drops it after the last try."""
        for delay in (*RETRY_DELAYS_SECONDS, None):
            try:
                self._deliver(email_of(message, self.sender))
                _count("sent")
                return
            except (OSError, smtplib.SMTPException) as error:
                if delay is None:
                    log.error("could not send %r by %s:%d (%s: %s); dropped: the owner "
                              "asks again", message.subject, self.host, self.port,
                              type(error).__name__, error)
                    _count("dropped")
                    return
                log.warning("sending %r by %s:%d failed (%s); trying again in %ss",
                            message.subject, self.host, self.port, error, delay)
                _count("retried")
                self.sleep(delay)

    def _deliver(self, email: EmailMessage) -> None:
        connect = smtplib.SMTP_SSL if self.tls else smtplib.SMTP
        with connect(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if not self.tls:
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(email)


class InBackground:
    """A mailer whose ``send`` returns at once; the inner one sends in a green thread."""

    def __init__(self, inner: Mailer):
        self.inner = inner

    def send(self, message: MailMessage) -> None:
        eventlet.spawn_n(self.inner.send, message)


def mailer_from_url(url: str, sender: str) -> Mailer | None:
    """The transport ``url`` names (module docstring); ``ValueError`` for any other."""
    if url.strip().lower() in ("", "none"):
        return None
    if url.startswith("maildir:"):
        return MaildirMailer(url.removeprefix("maildir:"), sender)
    parts = urlsplit(url)
    if parts.scheme in ("smtp", "smtps") and parts.hostname:
        tls = parts.scheme == "smtps"
        return InBackground(SmtpMailer(
            parts.hostname, parts.port or (465 if tls else 25), sender, tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None))
    raise ValueError(f"IDENTITY.mail_url: {url.split('@')[-1]!r} is none of maildir:<dir>, "
                     "smtp://host[:port], smtps://host[:port], none")


def _count(outcome: str) -> None:
    metrics.MAIL_MESSAGES.labels(SERVICE, outcome).inc()
