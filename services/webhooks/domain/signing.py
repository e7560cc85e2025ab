"""Standard Webhooks signatures (github.com/standard-webhooks/standard-webhooks, v1: HMAC-SHA256).

A delivery carries three headers:

* ``webhook-id``: the message id, the same on every attempt of one delivery (the
  receiver's idempotency key);
* ``webhook-timestamp``: seconds since the epoch when this attempt was signed;
* ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``, one
  per valid secret, space-separated (two during a secret rotation's grace period).

Secrets are ``whsec_`` + base64 of 32 random bytes; the HMAC key is the decoded bytes.
Checked against the ``standardwebhooks`` package's verifier and the specification's
test vector (tests/unit/webhooks/test_signing.py).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
from collections.abc import Iterable
from datetime import datetime

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret (its base64 part decoded)."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(encoded + "=" * (-len(encoded) % 4))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 signature>`` of one message."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def unix_seconds(moment: datetime) -> int:
    return math.floor(moment.timestamp())


def headers(secrets_in_force: Iterable[str], message_id: str, moment: datetime,
            body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers of one attempt, signed with every secret in
    force (the current one first)."""
    timestamp = unix_seconds(moment)
    signatures = [sign(secret, message_id, timestamp, body) for secret in secrets_in_force]
    if not signatures:
        raise ValueError("no secret to sign with")
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": " ".join(signatures)}
