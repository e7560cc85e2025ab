"""Endpoint secrets sealed at rest: the key ring (AES-256-GCM)."""
import base64

import pytest

from services.webhooks.infrastructure.sealing import KeyRing, SealingError, new_key

SECRET = "whsec_" + base64.b64encode(bytes(32)).decode()
K1, K2 = new_key("k1"), new_key("k2")


def test_a_sealed_secret_opens_and_shows_nothing_of_itself():
    ring = KeyRing.parse(K1)
    sealed = ring.seal(SECRET, "secret")
    assert sealed.startswith("sealed:v1:k1:") and SECRET[6:] not in sealed
    assert len(sealed) <= 255  # the column's width
    assert ring.seal(SECRET, "secret") != sealed  # a fresh nonce every time
    assert ring.open(sealed, "secret") == SECRET


def test_the_first_key_seals_and_every_key_opens():
    old = KeyRing.parse(K1).seal(SECRET, "secret")
    ring = KeyRing.parse(f" {K2} , {K1} ")
    assert ring.open(old, "secret") == SECRET
    assert ring.needs_sealing(old) and not ring.needs_sealing(ring.seal(SECRET, "secret"))
    assert ring.needs_sealing(SECRET)  # stored in clear
    assert not ring.needs_sealing(None)


def test_without_keys_secrets_stay_as_they_are():
    ring = KeyRing.parse("")
    assert ring.empty and ring.seal(SECRET, "secret") == SECRET
    assert ring.open(SECRET, "secret") == SECRET and not ring.needs_sealing(SECRET)
    assert KeyRing.parse(None).empty


def test_a_missing_key_an_altered_value_or_another_column_does_not_open():
    sealed = KeyRing.parse(K1).seal(SECRET, "secret")
    with pytest.raises(SealingError, match="'k1'"):
        KeyRing.parse(K2).open(sealed, "secret")
    ring = KeyRing.parse(K1)
    with pytest.raises(SealingError, match="does not open"):
        ring.open(sealed, "previous_secret")
    tampered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(SealingError):
        ring.open(tampered, "secret")
    with pytest.raises(SealingError):
        ring.open("sealed:v1:k1:!!not base64!!", "secret")


@pytest.mark.parametrize("ring, says", [
    ("k1", "expected '<key id>:<base64 key>'"),
    ("bad id!:AAAA", "expected '<key id>:<base64 key>'"),
    ("k1:not-base64*", "not base64"),
    ("k1:" + base64.b64encode(bytes(16)).decode(), "must be 32 bytes"),
    (f"{K1},{K1}", "used twice"),
])
def test_a_malformed_ring_is_refused_naming_the_entry_never_the_key(ring, says):
    with pytest.raises(ValueError, match=says) as refused:
        KeyRing.parse(ring)
    assert K1.split(":")[1] not in str(refused.value)


def test_new_key_makes_a_ring_entry_and_refuses_a_bad_id():
    assert not KeyRing.parse(new_key("2026-12-06")).empty
    with pytest.raises(ValueError):
        new_key("no spaces")
