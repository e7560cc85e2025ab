"""Mint bearer tokens for local use.

    ALPES_JWT_SECRET=... python -m services.bff.tokens mint --role admin --sub ops
    ALPES_JWT_SECRET=... python -m services.bff.tokens mint --role partner --sub <id> --ttl 600

Prints the token alone on stdout (``TOKEN=$(...)`` works). The secret is read from the
environment, as the BFF reads it; the default time to live is config.yaml's
``BFF.token_ttl_seconds``.
"""
from __future__ import annotations

import argparse
import sys

from common.nameko.config import load_config
from services.bff.auth import ROLES, SECRET_ENV, InvalidToken, TokenCodec, secret_from_environment
from services.bff.settings import Settings, from_config

DEFAULT_TTL_SECONDS = Settings().token_ttl_seconds


def mint(role: str, subject: str, secret: str | None = None,
         ttl_seconds: int = DEFAULT_TTL_SECONDS) -> str:
    """A signed token (for tools and tests); the secret defaults to the environment's."""
    return TokenCodec(secret or secret_from_environment()).mint(role, subject, ttl_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Mint a BFF bearer token (HS256 JWT).")
    commands = parser.add_subparsers(dest="command", required=True)
    minting = commands.add_parser("mint", help="print a signed token")
    minting.add_argument("--role", required=True, choices=ROLES)
    minting.add_argument("--sub", required=True,
                         help="the brand or partner id (UUID); any name for an admin")
    minting.add_argument("--ttl", type=int, help="seconds until it expires")
    minting.add_argument("--config", default="config.yaml")
    args = parser.parse_args(argv)
    ttl = args.ttl or from_config(load_config(args.config)).token_ttl_seconds
    try:
        token = mint(args.role, args.sub, ttl_seconds=ttl)
    except InvalidToken:
        parser.exit(2, f"error: set {SECRET_ENV} to a random string of at least 32 "
                       "characters (the BFF must run with the same one)\n")
    except ValueError as error:
        parser.exit(2, f"error: {error}\n")
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
