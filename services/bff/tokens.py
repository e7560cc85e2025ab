"""Mint bearer tokens for local use, tools and tests.

Operators mint from the command line with ``alpes token mint --role admin --sub ops``
(``make token``), which calls ``mint`` and prints the token alone on stdout. The secret
is read from the environment (``ALPES_JWT_SECRET``), as the BFF reads it.
"""
from __future__ import annotations

from services.bff.auth import TokenCodec, secret_from_environment
from services.bff.settings import Settings

DEFAULT_TTL_SECONDS = Settings().token_ttl_seconds


def mint(role: str, subject: str, secret: str | None = None,
         ttl_seconds: int = DEFAULT_TTL_SECONDS) -> str:
    """A signed token (for tools and tests); the secret defaults to the environment's."""
    return TokenCodec(secret or secret_from_environment()).mint(role, subject, ttl_seconds)
