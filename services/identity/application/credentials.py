"""New secrets: session tokens, API keys, invitation tokens (``secrets``, 256 bits each).

Only their digests (``common.contracts.identity.secret_digest``) are ever stored; the raw
value is handed back once, to the caller who asked for it, and forgotten.
"""
from __future__ import annotations

import secrets
import uuid

from common.contracts.identity import API_KEY_PREFIX, csrf_token_for, secret_digest

INVITATION_PREFIX = "inv_"
RESET_PREFIX = "pwr_"
__all__ = ["csrf_token_for", "secret_digest", "new_session_token", "new_api_key",
           "new_invitation_token", "key_prefix"]


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def key_prefix(api_key_id: str) -> str:
    """The key's public part, shown in listings to tell keys apart."""
    return f"{API_KEY_PREFIX}{uuid.UUID(api_key_id).hex[:12]}"


def new_api_key(api_key_id: str) -> str:
    """``ak_live_<12 hex of the key id>_<43 characters of secret>``."""
    return f"{key_prefix(api_key_id)}_{secrets.token_urlsafe(32)}"


def new_invitation_token() -> str:
    return f"{INVITATION_PREFIX}{secrets.token_urlsafe(32)}"


def new_reset_token() -> str:
    return f"{RESET_PREFIX}{secrets.token_urlsafe(32)}"
