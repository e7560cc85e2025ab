"""Who is calling: a JWT, an API key or a session cookie, verified without an RPC on
every request, and revoked on every BFF instance within seconds.

* ``Authorization: Bearer <JWT>``: checked here (signature, expiry), as before.
* ``Authorization: Bearer ak_live_...`` or ``X-Api-Key: ak_live_...``: a brand's API
  key, restricted to its scopes.
* the ``alpes_session`` cookie: a browser session (state-changing requests must carry
  the session's CSRF token in ``X-CSRF-Token``).

Identity answers for keys and sessions (``authenticate_api_key``/``authenticate_session``,
which take the credential's SHA-256 digest: the secret itself never crosses the wire
again). Each answer -- "this is brand X with these scopes", or "unknown" -- is cached for
at most ``credential_cache_seconds`` (< 5 s), and a session's at most until it would end.
Partners' standing (a suspended partner is refused, whatever its credential) is cached
the same way from ``partners.get_partner``. On top of the TTL, every BFF instance hears
``session_revoked``, ``api_key_revoked`` and ``partner_suspended`` (a broadcast queue of
its own) and drops the entries at once; a message lost is bounded by the TTL.

Last-used and last-seen times are reported to identity without waiting (``record_use``),
only when identity says they are due (at most once a minute per credential).
"""
from __future__ import annotations

import hmac
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from common.contracts import identity as identity_contracts
from common.contracts import partners as partner_contracts
from common.contracts.identity import looks_like_api_key, secret_digest
from common.seedwork.errors import NotFound, ServiceUnavailable
from services.bff import auth, errors
from services.bff.auth import API_KEY, BRAND, PARTNER, SESSION, Principal

log = logging.getLogger(__name__)

SESSION_COOKIE = "alpes_session"
CSRF_HEADER = "X-CSRF-Token"
API_KEY_HEADER = "X-Api-Key"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MISSING = object()


class TtlCache:
    """Values for at most ``ttl`` seconds, in an LRU map of bounded size, each with tags
    (``account:<id>``, ``key:<id>``...) that an event drops at once. A value loaded while
    one of its tags was being dropped is not kept (the answer may predate the drop)."""

    def __init__(self, ttl: float, max_entries: int = 100_000,
                 clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[Any, float, tuple[str, ...]]] = OrderedDict()
        self._tagged: dict[str, set[str]] = {}
        self._dropped: OrderedDict[str, float] = OrderedDict()

    def now(self) -> float:
        return self._clock()

    def get(self, key: str, default: Any = _MISSING) -> Any:
        entry = self._entries.get(key)
        if entry is None or entry[1] <= self._clock():
            return default
        self._entries.move_to_end(key)
        return entry[0]

    def last_known(self, key: str, default: Any = None) -> Any:
        """The value even when expired (for when its source does not answer)."""
        entry = self._entries.get(key)
        return default if entry is None else entry[0]

    def put(self, key: str, value: Any, tags: Iterable[str] = (), *,
            loaded_at: float | None = None, ttl: float | None = None) -> None:
        tags = tuple(tags)
        if loaded_at is not None and any(self._dropped.get(tag, -1.0) >= loaded_at
                                         for tag in tags):
            return
        self._remove(key)
        lifetime = self.ttl if ttl is None else max(0.0, min(ttl, self.ttl))
        self._entries[key] = (value, self._clock() + lifetime, tags)
        for tag in tags:
            self._tagged.setdefault(tag, set()).add(key)
        while len(self._entries) > self._max:
            self._remove(next(iter(self._entries)))

    def drop(self, tag: str) -> None:
        self._dropped[tag] = self._clock()
        self._dropped.move_to_end(tag)
        while len(self._dropped) > self._max:
            self._dropped.popitem(last=False)
        for key in list(self._tagged.pop(tag, ())):
            self._remove(key)

    def clear(self) -> None:
        self._entries.clear()
        self._tagged.clear()

    def _remove(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        for tag in entry[2]:
            keys = self._tagged.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._tagged[tag]

    def __len__(self) -> int:
        return len(self._entries)


class Credentials:
    """The BFF's authenticator (one per container, in ``Edge``)."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic):
        self.sessions = TtlCache(ttl, clock=clock)
        self.api_keys = TtlCache(ttl, clock=clock)
        self.partners = TtlCache(ttl, clock=clock)  # partner id -> suspended?

    # authentication ----------------------------------------------------------------------
    def authenticate(self, request, codec: auth.TokenCodec, rpc) -> Principal:
        authorization = request.headers.get("Authorization")
        if authorization:
            token = auth.bearer_token(authorization)
            if looks_like_api_key(token):
                return self.api_key(token, rpc)
            return codec.read(token)
        key = (request.headers.get(API_KEY_HEADER) or "").strip()
        if key:
            return self.api_key(key, rpc)
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            return self.session(cookie, rpc)
        raise auth.InvalidToken(
            "A bearer token, an API key or a session cookie is required.")

    def api_key(self, key: str, rpc) -> Principal:
        digest = secret_digest(key)
        found = self.api_keys.get(digest)
        if found is _MISSING:
            loaded_at = self.api_keys.now()
            found = rpc.identity.authenticate_api_key(digest)
            tags = (f"key:{found['api_key_id']}",) if found else ()
            self.api_keys.put(digest, found, tags, loaded_at=loaded_at)
            if found and found.get("touch_due"):
                _report_use(rpc, {"api_key_id": found["api_key_id"]})
        if not found:
            raise auth.InvalidToken("The API key is invalid or revoked.")
        return Principal(BRAND, found["brand_id"], via=API_KEY,
                         scopes=frozenset(found["scopes"]), credential_id=found["api_key_id"])

    def session(self, cookie: str, rpc) -> Principal:
        digest = secret_digest(cookie)
        found = self.sessions.get(digest)
        if found is _MISSING:
            loaded_at = self.sessions.now()
            found = rpc.identity.authenticate_session(digest)
            if found:
                tags = (f"account:{found['account']['account_id']}",
                        f"session:{found['session_id']}")
                self.sessions.put(digest, found, tags, loaded_at=loaded_at,
                                  ttl=_seconds_until(found["valid_until"]))
                if found.get("touch_due"):
                    _report_use(rpc, {"session_id": found["session_id"]})
            else:
                self.sessions.put(digest, None, loaded_at=loaded_at)
        if not found:
            raise auth.InvalidToken("The session has ended: log in again.")
        return session_principal(found)

    # after authentication ----------------------------------------------------------------
    @staticmethod
    def check_csrf(principal: Principal, request) -> None:
        """A cookie-authenticated request that changes something carries the session's
        CSRF token (a page of another site can send the cookie, never this header)."""
        if principal.via != SESSION or request.method in SAFE_METHODS:
            return
        presented = request.headers.get(CSRF_HEADER) or ""
        if not (presented and principal.csrf_digest and hmac.compare_digest(
                secret_digest(presented), principal.csrf_digest)):
            raise errors.csrf_refused()

    def check_standing(self, principal: Principal, rpc) -> None:
        """A suspended partner is refused, by its JWT as by its session."""
        if principal.is_(PARTNER) and self.partner_suspended(principal.subject, rpc):
            raise errors.account_suspended()

    def partner_suspended(self, partner_id: str, rpc) -> bool:
        suspended = self.partners.get(partner_id)
        if suspended is not _MISSING:
            return suspended
        loaded_at = self.partners.now()
        try:
            partner = rpc.partners.get_partner(partner_id)
        except NotFound:
            partner = {}
        except ServiceUnavailable:
            # Availability first: partners is down, so nothing can be suspended right
            # now either; the last standing known (else "not suspended") holds.
            return bool(self.partners.last_known(partner_id, False))
        suspended = partner.get("status") == "SUSPENDED"
        self.partners.put(partner_id, suspended, (f"partner:{partner_id}",),
                          loaded_at=loaded_at)
        return suspended

    # revocations (broadcast events) ------------------------------------------------------
    def forget_session(self, cookie: str) -> None:
        self.sessions.put(secret_digest(cookie), None)

    def forget_account(self, account_id: str) -> None:
        self.sessions.drop(f"account:{account_id}")

    def forget_api_key(self, api_key_id: str) -> None:
        self.api_keys.drop(f"key:{api_key_id}")

    def on_event(self, envelope: Any) -> None:
        """An identity or partners event heard on this instance's broadcast queue."""
        try:
            source, kind = envelope["source"], envelope["type"]
            payload = _contract(source, kind).parse(envelope["payload"])
        except Exception:  # noqa: BLE001 -- unreadable: forget everything, to be safe
            log.warning("unreadable revocation event: every cached credential dropped")
            for cache in (self.sessions, self.api_keys, self.partners):
                cache.clear()
            return
        if kind == identity_contracts.SESSION_REVOKED.name:
            self.forget_account(payload["account_id"])
        elif kind == identity_contracts.API_KEY_REVOKED.name:
            self.forget_api_key(payload["api_key_id"])
        elif kind == partner_contracts.PARTNER_SUSPENDED.name:
            self.partners.drop(f"partner:{payload['partner_id']}")
            self.partners.put(payload["partner_id"], True, (f"partner:{payload['partner_id']}",))
        elif kind == partner_contracts.PARTNER_REACTIVATED.name:
            self.partners.drop(f"partner:{payload['partner_id']}")


REVOCATION_EVENTS = (identity_contracts.SESSION_REVOKED, identity_contracts.API_KEY_REVOKED,
                     partner_contracts.PARTNER_SUSPENDED, partner_contracts.PARTNER_REACTIVATED)


def _contract(source: str, kind: str):
    for contract in REVOCATION_EVENTS:
        if (contract.source, contract.name) == (source, kind):
            return contract
    raise KeyError(kind)


def session_principal(found: dict) -> Principal:
    account = found["account"]
    role = account["role"]
    subject = {BRAND: account.get("brand_id"), PARTNER: account.get("partner_id")}.get(
        role) or account["account_id"]
    return Principal(role, subject, via=SESSION, account_id=account["account_id"],
                     brand_role=account.get("brand_role"), credential_id=found["session_id"],
                     csrf_digest=found["csrf_digest"])


def _seconds_until(moment: str) -> float:
    ends = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return (ends - datetime.now(UTC)).total_seconds()


def _report_use(rpc, payload: dict) -> None:
    """Fire and forget: a last-used time is worth no request's latency or failure."""
    try:
        rpc.identity.record_use.call_async(payload)
    except Exception:  # noqa: BLE001 -- best effort
        log.warning("could not report a credential's use to identity")
