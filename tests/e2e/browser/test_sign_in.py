"""Signing in, in a browser: a wrong password, the lock-out (and an operator's reset link
ending it), an expired session, CSRF; a forgotten password, by a link emailed.

A small stack (partners, identity, bff) whose identity locks an email after 3 failures
and ends a session after 3 idle seconds (IDENTITY_* from the environment), and writes
its emails to a Maildir (IDENTITY_MAIL_URL, tests/stack_fixtures.py).
"""
from __future__ import annotations

import uuid

from nameko.testing.utils import find_free_port

from services.bff.tokens import mint
from tests.e2e.browser.conftest import drive

SERVICES = ("partners", "identity", "bff")
SECRET = f"browser-{uuid.uuid4().hex}{uuid.uuid4().hex}"
IDLE_SECONDS = 3


def stack_env(port: int, **extra: str) -> dict:
    return {"ALPES_JWT_SECRET": SECRET, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
            "BFF_TRUST_FORWARDED_FOR": "true", "BFF_RATE_SIGNUP": "1000",
            "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST_KIB": "8192", **extra}


def services_logs(tmp_path) -> str:
    return "\n".join(path.read_text(errors="replace")
                     for path in (tmp_path / "logs").glob("*.log"))


def assert_no_secret_in(logs: str, secrets: dict[str, str]) -> None:
    for name, secret in secrets.items():
        assert secret and secret not in logs, f"{name} in the services' logs"


def test_wrong_password_lock_out_expired_session_and_csrf(start_stack, tmp_path):
    port = find_free_port()
    start_stack(*SERVICES, extra_env=stack_env(
        port, IDENTITY_MAX_FAILURES_PER_ACCOUNT="3",
        IDENTITY_SESSION_IDLE_SECONDS=str(IDLE_SECONDS)))
    result = drive("sign_in_failures", {"api": f"http://127.0.0.1:{port}",
                                        "run": uuid.uuid4().hex[:6],
                                        "idle_seconds": IDLE_SECONDS,
                                        "admin_token": mint("admin", "ops", secret=SECRET)},
                   timeout=90)
    logs = services_logs(tmp_path)
    assert "POST /api/v1/auth/login -> 429" in logs  # the lock-out happened
    assert_no_secret_in(logs, result["secrets"])


def test_a_forgotten_password_is_chosen_again_with_an_emailed_link(start_stack, e2e_env,
                                                                   tmp_path):
    port = find_free_port()
    api = f"http://127.0.0.1:{port}"
    start_stack(*SERVICES, extra_env=stack_env(port, PUBLIC_BASE_URL=api))
    result = drive("forgotten_password", {
        "api": api, "run": uuid.uuid4().hex[:6],
        "maildir": e2e_env["IDENTITY_MAIL_URL"].removeprefix("maildir:")}, timeout=90)
    logs = services_logs(tmp_path)
    assert "POST /api/v1/auth/password-reset-requests -> 202" in logs
    assert_no_secret_in(logs, result["secrets"])
