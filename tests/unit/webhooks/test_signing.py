"""Our Standard Webhooks signer against the specification's test vector and the
``standardwebhooks`` package's own verifier (the one receivers use)."""
import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from services.webhooks.domain import signing

# The test vector of the Standard Webhooks specification (and of every official library).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specifications_test_vector():
    assert signing.sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == \
        VECTOR_SIGNATURE


def test_the_package_signs_what_we_sign():
    moment = datetime.fromtimestamp(VECTOR_TIMESTAMP, tz=UTC)
    secret = signing.new_secret()
    body = json.dumps({"type": "commission.created", "data": {"amount": "1.00"}}).encode()
    assert Webhook(secret).sign("d2e8f4a6", moment, body) == \
        signing.sign(secret, "d2e8f4a6", VECTOR_TIMESTAMP, body)


def test_headers_verify_with_the_package_and_the_body_is_returned():
    secret, body, now = signing.new_secret(), b'{"a":"\xc3\xa9"}', datetime.now(UTC)
    headers = signing.headers([secret], "4b7e0c1a-0000-4000-8000-000000000001", now, body)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert Webhook(secret).verify(body, headers) == {"a": "é"}


def test_a_new_secret_is_whsec_and_32_random_bytes():
    first, second = signing.new_secret(), signing.new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(signing.secret_key(first)) == 32


def test_during_a_rotation_both_secrets_verify_after_it_only_the_new_one():
    old, new, body, now = signing.new_secret(), signing.new_secret(), b"{}", datetime.now(UTC)
    both = signing.headers([new, old], "m-1", now, body)
    assert len(both["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(body, both)
    Webhook(new).verify(body, both)
    only_new = signing.headers([new], "m-1", now, body)
    Webhook(new).verify(body, only_new)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, only_new)


def test_a_tampered_body_id_or_stale_timestamp_does_not_verify():
    secret, body, now = signing.new_secret(), b'{"amount":"1.00"}', datetime.now(UTC)
    headers = signing.headers([secret], "m-2", now, body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(b'{"amount":"9.00"}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, {**headers, "webhook-id": "m-3"})
    stale = signing.headers([secret], "m-2", now - timedelta(minutes=10), body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, stale)


def test_signing_needs_a_secret():
    with pytest.raises(ValueError):
        signing.headers([], "m", datetime.now(UTC), b"{}")
