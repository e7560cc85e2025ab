"""Identity's emails: the service container over the real broker and database (SQLite and
PostgreSQL) emails reset links ("Forgot your password?") and invitations into a Maildir;
and the SMTP transport against a small SMTP server on 127.0.0.1 (plain, then nothing
listening)."""
import mailbox
import re
import socketserver
import threading

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from prometheus_client import REGISTRY

from common.contracts.identity import secret_digest
from common.seedwork.errors import ServiceUnavailable, ValidationError
from services.identity.application.ports import MailMessage
from services.identity.infrastructure.mail import (
    InBackground,
    MaildirMailer,
    SmtpMailer,
    mailer_from_url,
)
from services.identity.service import IdentityService
from tests.integration.identity.test_identity_service import (
    BRAND,
    PARTNER,
    PASSWORD,
    identity_settings,
)
from tests.support import migrated, service_config, wait_for

LINK = re.compile(r"https://partners\.example\.com/app/reset#token=(pwr_\S+)")
ACCEPT = re.compile(r"https://partners\.example\.com/app/accept#token=(inv_\S+)")
SENDER = "AlpesPartners <no-reply@partners.example.com>"


def identity(rabbit_config, make_db_uri, db_kind, container_factory, **settings):
    config = service_config(
        rabbit_config, {"identity": migrated("identity", make_db_uri(db_kind, "identity"))},
        IDENTITY=identity_settings(public_base_url="https://partners.example.com",
                                   mail_from=SENDER, **settings))
    container_factory(IdentityService, config).start()
    return config


def test_the_reset_link_is_emailed_and_sets_a_new_password(rabbit_config, make_db_uri, db_kind,
                                                            container_factory, tmp_path):
    config = identity(rabbit_config, make_db_uri, db_kind, container_factory,
                      mail_url=f"maildir:{tmp_path / 'mail'}")
    with ClusterRpcProxy(config, timeout=10) as rpc:
        rpc.identity.create_partner_account({"partner_id": PARTNER, "email": "ana@example.com",
                                             "password": PASSWORD})
        for email in ("ana@example.com", "nobody@example.com", "ana@example.com"):
            assert rpc.identity.request_password_reset(
                {"email": email, "ip": "203.0.113.7"}) == {"requested": True}
        with pytest.raises(ValidationError) as malformed:
            rpc.identity.request_password_reset({"email": "not an email", "ip": "203.0.113.7"})
        assert set(malformed.value.fields) == {"email"}

        [message] = mailbox.Maildir(tmp_path / "mail").values()  # one: the minute's only
        assert message["To"] == "ana@example.com" and message["From"] == SENDER
        token = LINK.search(message.get_payload(decode=True).decode()).group(1)
        rpc.identity.reset_password({"token_digest": secret_digest(token),
                                     "password": "a brand new passphrase"})
        session = rpc.identity.log_in({"email": "ana@example.com",
                                       "password": "a brand new passphrase", "ip": "203.0.113.7"})
        assert session["account"]["role"] == "partner"


def test_an_invitation_is_emailed_and_accepted_through_its_link(
        rabbit_config, make_db_uri, db_kind, container_factory, tmp_path):
    config = identity(rabbit_config, make_db_uri, db_kind, container_factory,
                      mail_url=f"maildir:{tmp_path / 'mail'}")
    with ClusterRpcProxy(config, timeout=10) as rpc:
        invited = rpc.identity.invite_brand_user({
            "brand_id": BRAND, "email": "bo@example.com", "brand_role": "owner",
            "invited_by": "admin:ops", "brand_name": "Acme"})
        assert invited["emailed"] is True
        [message] = mailbox.Maildir(tmp_path / "mail").values()
        assert message["To"] == "bo@example.com" and "Acme" in message["Subject"]
        token = ACCEPT.search(message.get_payload(decode=True).decode()).group(1)
        assert token == invited["token"]
        account = rpc.identity.accept_invitation({"token_digest": secret_digest(token),
                                                  "password": PASSWORD})
        assert (account["brand_id"], account["brand_role"]) == (BRAND, "owner")


def test_without_a_mail_transport_the_request_is_refused(rabbit_config, make_db_uri, db_kind,
                                                        container_factory):
    config = identity(rabbit_config, make_db_uri, db_kind, container_factory, mail_url="none")
    with ClusterRpcProxy(config, timeout=10) as rpc, pytest.raises(ServiceUnavailable):
        rpc.identity.request_password_reset({"email": "ana@example.com", "ip": "203.0.113.7"})


class SmtpRecorder(socketserver.StreamRequestHandler):
    """Just enough SMTP to take one message: EHLO, MAIL, RCPT, DATA, QUIT."""

    def handle(self):
        self.wfile.write(b"220 test ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                body = b"".join(iter(self.rfile.readline, b".\r\n"))
                self.server.received.append(body.decode())
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            elif verb == b"EHLO":
                self.wfile.write(b"250-test\r\n250 8BITMIME\r\n")
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SmtpRecorder)
    server.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


MESSAGE = MailMessage(to="ana@example.com", subject="Choose a new password",
                      text="Choose it here:\nhttps://partners.example.com/app/reset#token=x\n")


def test_smtp_sends_in_the_background(smtp_server):
    sent, port = mail_count("sent"), smtp_server.server_address[1]
    mailer = mailer_from_url(f"smtp://127.0.0.1:{port}", SENDER)
    assert isinstance(mailer, InBackground)
    mailer.send(MESSAGE)  # returns at once
    [received] = wait_for(lambda: smtp_server.received, message="the message at the server")
    assert "Subject: Choose a new password" in received and "To: ana@example.com" in received
    assert "https://partners.example.com/app/reset#token=x" in received
    assert wait_for(lambda: mail_count("sent") == sent + 1, message="counted as sent")


def mail_count(outcome: str) -> float:
    return REGISTRY.get_sample_value("alpes_mail_messages_total",
                                     {"service": "identity", "outcome": outcome}) or 0


def test_smtp_tries_three_times_then_logs_and_drops_the_message(caplog):
    with socketserver.TCPServer(("127.0.0.1", 0), SmtpRecorder) as closed:
        port = closed.server_address[1]  # bound, then closed: nothing listens there
    waits, retried, dropped = [], mail_count("retried"), mail_count("dropped")
    SmtpMailer("127.0.0.1", port, SENDER, sleep=waits.append).send(MESSAGE)
    assert waits == [1, 5]
    assert "could not send 'Choose a new password'" in caplog.text
    assert (mail_count("retried") - retried, mail_count("dropped") - dropped) == (2, 1)


def test_maildir_and_the_urls_it_knows(tmp_path):
    MaildirMailer(str(tmp_path / "box"), SENDER).send(MESSAGE)
    [message] = mailbox.Maildir(tmp_path / "box").values()
    assert message["Subject"] == "Choose a new password" and message["Message-ID"]
    raw = next((tmp_path / "box" / "new").iterdir()).read_text()
    assert "https://partners.example.com/app/reset#token=x\n" in raw  # whole, as sent
    MaildirMailer(str(tmp_path / "accents"), SENDER).send(MailMessage(
        to="bo@example.com", subject="You are invited to join Café Ñu's team",
        text="Join Café Ñu's team.\n"))
    [accented] = mailbox.Maildir(tmp_path / "accents").values()
    assert accented.get_payload(decode=True).decode() == "Join Café Ñu's team.\n"
    assert mailer_from_url("none", SENDER) is None
    smtps = mailer_from_url("smtps://bot%40ex.com:s%3Acret@mail.example.com", SENDER).inner
    assert (smtps.host, smtps.port, smtps.tls) == ("mail.example.com", 465, True)
    assert (smtps.username, smtps.password) == ("bot@ex.com", "s:cret")
    with pytest.raises(ValueError) as unknown:
        mailer_from_url("ftp://user:secret@host", SENDER)
    assert "secret" not in str(unknown.value)
