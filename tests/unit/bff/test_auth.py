"""Bearer tokens: only well-signed, unexpired HS256 tokens with a known role pass."""
import base64
import json
import time

import jwt
import pytest

from services.bff.auth import (
    AUDIENCE,
    ISSUER,
    InvalidToken,
    Principal,
    SecretMissing,
    TokenCodec,
    bearer_token,
    check_identity,
)
from tests.unit.bff.harness import SECRET, new_id

CODEC = TokenCodec(SECRET)


def claims(**overrides):
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": new_id(), "role": "partner", "iat": now,
            "exp": now + 60}
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_minted_token_reads_back_as_its_principal():
    partner_id = new_id()
    assert CODEC.read(CODEC.mint("partner", partner_id, 60)) == Principal("partner", partner_id)
    assert CODEC.read(CODEC.mint("admin", "ops", 60)).role == "admin"


def test_an_expired_token_is_refused():
    token = CODEC.mint("brand", new_id(), 60, now=time.time() - 3600)
    with pytest.raises(InvalidToken, match="expired"):
        CODEC.read(token)


def test_a_tampered_payload_is_refused():
    header, _, signature = CODEC.mint("partner", new_id(), 60).split(".")
    forged = b64(claims(role="admin", sub="ops"))
    with pytest.raises(InvalidToken):
        CODEC.read(f"{header}.{forged}.{signature}")


def test_a_token_signed_with_another_secret_is_refused():
    token = TokenCodec("another-secret-of-enough-length-0123456789").mint("admin", "ops", 60)
    with pytest.raises(InvalidToken):
        CODEC.read(token)


def test_alg_none_is_refused():
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims(role='admin', sub='x'))}."
    with pytest.raises(InvalidToken):
        CODEC.read(unsigned)


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_another_algorithm_is_refused_even_with_the_right_secret(algorithm):
    with pytest.raises(InvalidToken):
        CODEC.read(jwt.encode(claims(), SECRET, algorithm=algorithm))


@pytest.mark.parametrize("missing", ["exp", "iat", "sub", "iss", "aud"])
def test_a_token_missing_a_claim_is_refused(missing):
    with pytest.raises(InvalidToken):
        CODEC.read(jwt.encode(claims(**{missing: None}), SECRET, algorithm="HS256"))


@pytest.mark.parametrize("bad", [{"iss": "someone-else"}, {"aud": "another-api"},
                                 {"role": "root"}, {"role": None},
                                 {"role": "brand", "sub": "not-a-uuid"}])
def test_wrong_issuer_audience_role_or_subject_is_refused(bad):
    with pytest.raises(InvalidToken):
        CODEC.read(jwt.encode(claims(**bad), SECRET, algorithm="HS256"))


def test_garbage_is_refused():
    for token in ("", "abc", "a.b.c", "...."):
        with pytest.raises(InvalidToken):
            CODEC.read(token)


def test_without_a_secret_nothing_is_minted_or_accepted():
    with pytest.raises(SecretMissing):
        TokenCodec(None).mint("admin", "ops", 60)
    with pytest.raises(SecretMissing):
        TokenCodec(None).read(CODEC.mint("admin", "ops", 60))


def test_bearer_header_parsing():
    assert bearer_token("Bearer abc.def.ghi") == "abc.def.ghi"
    assert bearer_token("bearer  abc ") == "abc"
    for header in (None, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer   "):
        with pytest.raises(InvalidToken):
            bearer_token(header)


def test_identity_rules():
    check_identity("admin", "ops")
    check_identity("partner", new_id())
    for role, subject in (("partner", "ops"), ("boss", "ops"), ("admin", ""),
                          ("brand", new_id().upper())):
        with pytest.raises(ValueError):
            check_identity(role, subject)


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def counting_decodes(monkeypatch) -> list:
    decoded = []
    real = jwt.decode

    def decode(*args, **kwargs):
        decoded.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", decode)
    return decoded


def test_a_verified_token_is_decoded_once_and_refused_from_its_expiry_on(monkeypatch):
    decoded = counting_decodes(monkeypatch)
    clock = Clock(float(int(time.time())))  # whole seconds, as the claims are
    codec = TokenCodec(SECRET, clock=clock)
    partner_id = new_id()
    token = codec.mint("partner", partner_id, 60, now=clock.now)
    for _ in range(3):
        assert codec.read(token) == Principal("partner", partner_id)
    assert decoded == [token]
    clock.now += 59.5
    assert codec.read(token).subject == partner_id and len(decoded) == 1
    clock.now += 0.5  # its exp: pyjwt refuses it from then on, and so does the memory
    monkeypatch.setattr(jwt.api_jwt, "datetime", _frozen_datetime(clock.now))
    with pytest.raises(InvalidToken, match="expired"):
        codec.read(token)
    assert len(decoded) == 2


def _frozen_datetime(at: float):
    import datetime as real

    class Frozen(real.datetime):
        @classmethod
        def now(cls, tz=None):
            return real.datetime.fromtimestamp(at, tz)

    return Frozen


def test_a_token_changed_by_one_byte_is_verified_in_full_and_refused():
    codec = TokenCodec(SECRET)
    token = codec.mint("partner", new_id(), 60)
    codec.read(token)
    header, payload, signature = token.split(".")
    altered = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    with pytest.raises(InvalidToken):
        codec.read(f"{header}.{payload}.{altered}")
    forged = b64(claims(role="admin", sub="ops"))
    with pytest.raises(InvalidToken):
        codec.read(f"{header}.{forged}.{signature}")


def test_the_least_recently_read_token_is_forgotten_first(monkeypatch):
    decoded = counting_decodes(monkeypatch)
    codec = TokenCodec(SECRET, capacity=2)
    first, second, third = (codec.mint("partner", new_id(), 60) for _ in range(3))
    codec.read(first)
    codec.read(second)
    codec.read(first)   # first is the most recent now
    codec.read(third)   # second is forgotten
    codec.read(first)
    codec.read(second)  # decoded again
    assert decoded == [first, second, third, second]
