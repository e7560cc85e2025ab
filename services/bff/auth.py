"""Bearer tokens: HS256 JWTs naming a role and a subject, with an expiry.

    {"iss": "alpes-partners", "aud": "alpes-partners-api", "sub": "<id>",
     "role": "admin" | "brand" | "partner", "iat": ..., "exp": ..., "jti": "..."}

The subject is the brand id of a brand, the partner id of a partner, an operator name
for an admin. The secret comes from the environment (``ALPES_JWT_SECRET``), never from
a file in the repository. Only HS256 is accepted: ``alg: none``, another algorithm, a
bad signature, a wrong issuer/audience, a missing claim or an expired token is refused.

A token that passed is remembered (``VERIFIED_CAPACITY`` of them, the least recently
read dropped first) with its expiry, so a client that sends the same token on every
request is verified once, not on every call (pyjwt's decode and the HMAC were ~9 % of
the BFF's CPU on the partner dashboard). The whole token string is the key (a token
altered by one byte is another key, verified in full), and a remembered token is refused
from its ``exp`` on as pyjwt would (``now < exp``). Nothing else can change about a
verified token: its signature, issuer, audience, role and subject are inside it.
"""
from __future__ import annotations

import dataclasses
import os
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable

import jwt

SECRET_ENV = "ALPES_JWT_SECRET"
MIN_SECRET_LENGTH = 32
ALGORITHM = "HS256"
ISSUER = "alpes-partners"
AUDIENCE = "alpes-partners-api"

ADMIN, BRAND, PARTNER = "admin", "brand", "partner"
ROLES = (ADMIN, BRAND, PARTNER)
_REQUIRED_CLAIMS = ["exp", "iat", "sub", "iss", "aud"]
VERIFIED_CAPACITY = 10_000  # tokens remembered as verified per BFF process (~3 MB)


class InvalidToken(Exception):
    """Why a token was refused (said to the client: it names no secret)."""


class SecretMissing(InvalidToken):
    pass


BEARER, SESSION, API_KEY = "bearer", "session", "api_key"  # how a principal authenticated
OWNER, MEMBER = "owner", "member"  # a brand user's brand role


@dataclasses.dataclass(frozen=True)
class Principal:
    """Who calls. ``role`` and ``subject`` are what authorization reads, whatever the
    credential: the brand id of a brand (its JWT, one of its users' sessions, one of its
    API keys), the partner id of a partner, an operator or account id for an admin."""

    role: str
    subject: str
    via: str = BEARER
    account_id: str | None = None      # sessions: the account logged in
    brand_role: str | None = None      # a brand user's session: owner or member
    scopes: frozenset[str] | None = None  # API keys: what the key may do (others: None)
    credential_id: str | None = None   # the session id or API key id (opaque, not secret)
    csrf_digest: str | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def key(self) -> str:
        """The rate-limit key: one budget per actor, however many tokens it holds."""
        return f"{self.role}:{self.subject}"

    @property
    def actor(self) -> str:
        """Who did it, as identity records it (``created_by``, ``revoked_by``...)."""
        if self.account_id:
            return f"account:{self.account_id}"
        return f"{self.role}:{self.subject}"[:100]

    def is_(self, role: str) -> bool:
        return self.role == role


def secret_from_environment() -> str | None:
    secret = os.environ.get(SECRET_ENV, "")
    return secret if len(secret) >= MIN_SECRET_LENGTH else None


class TokenCodec:
    def __init__(self, secret: str | None, clock: Callable[[], float] = time.time,
                 capacity: int = VERIFIED_CAPACITY):
        self._secret = secret
        self._clock = clock
        self._capacity = capacity
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    @property
    def configured(self) -> bool:
        return bool(self._secret)

    def mint(self, role: str, subject: str, ttl_seconds: int, now: float | None = None) -> str:
        if not self._secret:
            raise SecretMissing(f"set {SECRET_ENV} (at least {MIN_SECRET_LENGTH} characters)")
        check_identity(role, subject)
        if ttl_seconds <= 0:
            raise ValueError("the time to live must be positive")
        issued = int(now if now is not None else time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "role": role,
                  "iat": issued, "exp": issued + int(ttl_seconds), "jti": uuid.uuid4().hex}
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def read(self, token: str) -> Principal:
        if not self._secret:
            raise SecretMissing("Authentication is not configured on this server.")
        known = self._verified.get(token)
        if known is not None:
            principal, expires = known
            if self._clock() < expires:
                self._verified.move_to_end(token)
                return principal
            self._verified.pop(token, None)  # expired: refused below, as pyjwt says
        principal, expires = self._decode(token)
        self._verified[token] = (principal, expires)
        if len(self._verified) > self._capacity:
            self._verified.popitem(last=False)
        return principal

    def _decode(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(token, self._secret, algorithms=[ALGORITHM], issuer=ISSUER,
                                audience=AUDIENCE, options={"require": _REQUIRED_CLAIMS})
        except jwt.ExpiredSignatureError:
            raise InvalidToken("The token has expired.") from None
        except jwt.PyJWTError:
            raise InvalidToken("The token is invalid.") from None
        role, subject = claims.get("role"), claims.get("sub")
        try:
            check_identity(role, subject)
        except ValueError:
            raise InvalidToken("The token is invalid.") from None
        return Principal(role, subject), float(claims["exp"])


def check_identity(role: object, subject: object) -> None:
    """A known role; brands and partners are named by their UUID."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not isinstance(subject, str) or not 0 < len(subject) <= 128:
        raise ValueError("the subject must be 1 to 128 characters")
    if role != ADMIN:
        try:
            if str(uuid.UUID(subject)) != subject:
                raise ValueError
        except ValueError:
            raise ValueError(f"a {role} token's subject is the {role}'s id (a UUID)") from None


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if not authorization:
        raise InvalidToken("A bearer token is required.")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("Use 'Authorization: Bearer <token>'.")
    return token.strip()
