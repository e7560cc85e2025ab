"""Identity end to end, every service a `nameko run` process as `make run` starts them.

The operator creates the first admin with `alpes users create-admin`; the admin logs in
(session cookie + CSRF token) and makes an API key for a brand; a partner signs up with a
password and logs in; the brand's server posts a conversion with the key; the admin
revokes it and it is refused within 5 seconds; the partner logs out everywhere, then
forgets its password: the operator's `alpes users reset-password` link sets a new one.
Then the services' logs are searched: no password, key, session cookie, CSRF token, JWT
or reset token.
"""
from __future__ import annotations

import os
import subprocess
import time
import uuid

import requests
from nameko.testing.utils import find_free_port

from tests.e2e.conftest import BIN, ROOT
from tests.support import wait_for

SERVICES = ("partners", "campaigns", "tracking", "identity", "bff")
SECRET = f"e2e-{uuid.uuid4().hex}{uuid.uuid4().hex}"
ADMIN_PASSWORD = f"admin pass {uuid.uuid4().hex[:8]}"
PARTNER_PASSWORD = f"partner pass {uuid.uuid4().hex[:8]}"


def create_admin(env: dict, email: str) -> str:
    """The documented operator command, the password on standard input."""
    result = subprocess.run(
        [str(BIN / "alpes"), "--config", "config.yaml", "users", "create-admin", "--email",
         email, "--password-stdin"], input=ADMIN_PASSWORD + "\n", cwd=ROOT,
        env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ADMIN_PASSWORD not in result.stdout + result.stderr
    return result.stdout


def test_log_in_api_key_revoked_within_five_seconds_log_out_everywhere(start_stack, e2e_env,
                                                                       tmp_path):
    port = find_free_port()
    env = {"ALPES_JWT_SECRET": SECRET, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
           "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST_KIB": "8192"}
    start_stack(*SERVICES, extra_env=env)
    api = f"http://127.0.0.1:{port}"
    assert create_admin({**e2e_env, **env}, "ops@example.com").startswith("admin ")

    # the admin logs in: a cookie, and a CSRF token for what changes something
    admin = requests.Session()
    login = admin.post(f"{api}/api/v1/auth/login",
                       json={"email": "ops@example.com", "password": ADMIN_PASSWORD})
    assert login.status_code == 200, login.text
    csrf = login.json()["csrf_token"]
    cookie = admin.cookies.get("alpes_session")
    brand = admin.post(f"{api}/api/v1/brands", json={"name": "Acme", "currency": "USD"},
                       headers={"X-CSRF-Token": csrf})
    assert brand.status_code == 201, brand.text
    brand_id = brand.json()["brand_id"]
    refused = admin.post(f"{api}/api/v1/brands/{brand_id}/api-keys",
                         json={"name": "shop", "scopes": ["conversions:write"]})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    created = admin.post(f"{api}/api/v1/brands/{brand_id}/api-keys",
                         json={"name": "shop", "scopes": ["conversions:write"]},
                         headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201, created.text
    key, key_id = created.json()["key"], created.json()["api_key"]["api_key_id"]

    # a partner signs up with a password and logs in twice (two devices)
    signup = requests.post(f"{api}/api/v1/partners/signup", json={
        "name": "Bea", "email": "bea@example.com", "type": "media", "country": "ES",
        "password": PARTNER_PASSWORD})
    assert signup.status_code == 201, signup.text
    jwt = signup.json()["token"]["access_token"]
    partner_id = signup.json()["partner"]["partner_id"]
    devices = [requests.Session(), requests.Session()]
    for device in devices:
        assert device.post(f"{api}/api/v1/auth/login", json={
            "email": "bea@example.com", "password": PARTNER_PASSWORD}).status_code == 200
    assert devices[0].get(f"{api}/api/v1/partners/{partner_id}").status_code == 200
    partner_csrf = devices[0].get(f"{api}/api/v1/auth/session").json()["csrf_token"]

    # the brand's server posts an order with its key; the admin revokes the key
    def post_order(headers) -> requests.Response:
        return requests.post(f"{api}/api/v1/conversions", headers=headers, json={
            "order_id": f"A-{uuid.uuid4().hex[:8]}", "amount": "20.00", "currency": "USD"})

    posted = post_order({"Authorization": f"Bearer {key}"})
    assert posted.status_code == 201, posted.text
    assert post_order({"X-Api-Key": key}).status_code == 201
    revoked = admin.post(f"{api}/api/v1/brands/{brand_id}/api-keys/{key_id}/revoke",
                         headers={"X-CSRF-Token": csrf})
    assert revoked.status_code == 200, revoked.text
    started = time.monotonic()
    wait_for(lambda: post_order({"Authorization": f"Bearer {key}"}).status_code == 401,
             timeout=5, message="the revoked key refused")
    assert time.monotonic() - started < 5

    # log out everywhere: both devices' sessions end
    out = devices[0].post(f"{api}/api/v1/auth/logout-all",
                          headers={"X-CSRF-Token": partner_csrf})
    assert out.status_code == 200 and out.json() == {"revoked": 2}
    wait_for(lambda: all(d.get(f"{api}/api/v1/partners/{partner_id}").status_code == 401
                         for d in devices), timeout=5, message="both sessions ended")
    partner_cookie = devices[1].cookies.get("alpes_session") or cookie
    assert requests.get(f"{api}/api/v1/partners/{partner_id}",
                        headers={"Authorization": f"Bearer {jwt}"}).status_code == 200

    # a forgotten password: the operator's reset link (the CLI), used once by the partner
    link = subprocess.run(
        [str(BIN / "alpes"), "--config", "config.yaml", "users", "reset-password", "--email",
         "BEA@example.com"], cwd=ROOT, env={**os.environ, **e2e_env, **env},
        capture_output=True, text=True, timeout=60)
    assert link.returncode == 0, link.stdout + link.stderr
    assert "/app/reset#token=pwr_" in link.stdout and "bea@example.com" in link.stderr
    reset_token = link.stdout.strip().split("#token=")[1]
    new_password = f"partner new pass {uuid.uuid4().hex[:8]}"
    reset = requests.post(f"{api}/api/v1/auth/password-reset",
                          json={"token": reset_token, "password": new_password})
    assert reset.status_code == 200 and reset.json()["partner_id"] == partner_id, reset.text
    assert requests.post(f"{api}/api/v1/auth/login", json={
        "email": "bea@example.com", "password": new_password}).status_code == 200

    # no secret in any service's log
    logs = "\n".join(path.read_text(errors="replace")
                     for path in (tmp_path / "logs").glob("*.log"))
    assert "POST /api/v1/auth/login -> 200" in logs  # the access lines are there
    for name, secret in {"admin password": ADMIN_PASSWORD, "partner password":
                         PARTNER_PASSWORD, "API key": key, "session cookie": cookie,
                         "partner cookie": partner_cookie, "CSRF token": csrf,
                         "JWT": jwt, "reset token": reset_token,
                         "new password": new_password}.items():
        assert secret and secret not in logs, name
