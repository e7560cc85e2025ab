"""Endpoint secrets sealed at rest: AES-256-GCM under the service's key ring.

The service must read an endpoint's secret back to sign each delivery (HMAC), so the
secret cannot be hashed as a password is: it is encrypted instead, with a key the
database never holds. ``WEBHOOKS.secret_keys`` is the key ring: comma-separated
``<key id>:<base64 of 32 random bytes>`` entries (``alpes webhooks new-key`` prints
one). The first key seals; every key opens, so a key is rotated by putting a new one
first and dropping the old one once housekeeping has sealed everything again under the
new one (``reseal``).

A sealed value reads ``sealed:v1:<key id>:<base64url of nonce + ciphertext + tag>``; the
column's name is authenticated with it, so a value copied into another column does not
open. A value without that prefix is read as it is: a row written while the ring was
empty (development) or before sealing existed. An empty ring stores secrets as they are
(the service warns at start); a sealed value whose key is not in the ring stops the
read with ``SealingError`` (a missing key is an operator's mistake, never a secret
quietly replaced).
"""
from __future__ import annotations

import base64
import binascii
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "sealed:v1:"
KEY_BYTES = 32
NONCE_BYTES = 12
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class SealingError(RuntimeError):
    """A secret that cannot be opened: its key is not in the ring, or it was altered."""


class KeyRing:
    """Keys by id, in order: the first seals, all open."""

    def __init__(self, keys: list[tuple[str, bytes]] | None = None):
        self._keys = dict(keys or ())
        self._primary = keys[0][0] if keys else None

    @classmethod
    def parse(cls, text: str | list | tuple | None) -> "KeyRing":
        """``"k2:<base64>,k1:<base64>"`` (or a list of entries); ``ValueError`` naming
        the entry that is wrong, never showing a key."""
        entries = text if isinstance(text, (list, tuple)) else (text or "").split(",")
        keys = [_key(position, entry.strip())
                for position, entry in enumerate(entries, start=1) if entry.strip()]
        ids = [key_id for key_id, _ in keys]
        if len(set(ids)) != len(ids):
            raise ValueError("WEBHOOKS.secret_keys: a key id is used twice")
        return cls(keys)

    @property
    def empty(self) -> bool:
        return self._primary is None

    def seal(self, value: str, column: str) -> str:
        if self._primary is None:
            return value
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self._keys[self._primary]).encrypt(
            nonce, value.encode(), column.encode())
        return f"{PREFIX}{self._primary}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, stored: str, column: str) -> str:
        if not stored.startswith(PREFIX):
            return stored
        key_id, _, blob = stored[len(PREFIX):].partition(":")
        key = self._keys.get(key_id)
        if key is None:
            raise SealingError(f"{column}: sealed under key {key_id!r}, which is not in "
                               "WEBHOOKS.secret_keys")
        try:
            raw = base64.urlsafe_b64decode(blob)
            return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:],
                                       column.encode()).decode()
        except (InvalidTag, binascii.Error, ValueError):
            raise SealingError(f"{column}: a sealed secret does not open (altered, or "
                               "sealed for another column)") from None

    def needs_sealing(self, stored: str | None) -> bool:
        """Stored in clear, or sealed under another key than the first: seal it again."""
        if stored is None or self._primary is None:
            return False
        return not stored.startswith(f"{PREFIX}{self._primary}:")


def new_key(key_id: str) -> str:
    """A ring entry with a fresh random key: ``<key id>:<base64>``."""
    if not KEY_ID.match(key_id):
        raise ValueError("a key id is 1-32 letters, digits, '_' or '-'")
    return f"{key_id}:{base64.b64encode(os.urandom(KEY_BYTES)).decode()}"


def _key(position: int, entry: str) -> tuple[str, bytes]:
    where = f"WEBHOOKS.secret_keys, entry {position}"
    key_id, separator, encoded = entry.partition(":")
    if not separator or not KEY_ID.match(key_id):
        raise ValueError(f"{where}: expected '<key id>:<base64 key>' with a key id of "
                         "1-32 letters, digits, '_' or '-'")
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise ValueError(f"{where} ({key_id}): the key is not base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"{where} ({key_id}): the key must be {KEY_BYTES} bytes "
                         f"(base64 of {KEY_BYTES} random bytes), not {len(key)}")
    return key_id, key


RING = KeyRing()  # the service's, installed at start (``install``); empty: clear storage


def install(ring: KeyRing) -> KeyRing:
    global RING
    RING = ring
    return ring
