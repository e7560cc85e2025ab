"""The sender: one attempt of one delivery over HTTP(S), never raising.

* the destination is checked again (URL rules, DNS, allowed addresses) and the
  connection goes to the address that was checked; for https the TLS handshake and the
  certificate check still use the URL's host name (SNI, ``assert_hostname``);
* ``connect_timeout`` bounds the connection, ``timeout`` the whole attempt (resolve,
  connect, send, answer): a receiver that answers slowly or drips its answer is cut off
  (``eventlet.Timeout``, green under Nameko);
* redirects are not followed (a 3xx is a failed attempt: the endpoint's URL is the one
  its owner registered);
* only the start of the answer is read (the delivery log keeps an excerpt); a longer
  answer's connection is closed rather than drained.

Connections are pooled per (scheme, address, port, host name): a busy endpoint keeps its
connections alive between attempts, at most ``per_endpoint`` of them.
"""
from __future__ import annotations

import collections
import re
import time
from collections.abc import Mapping

import eventlet
import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
    TimeoutError,
)

from services.webhooks.domain.delivery import AttemptOutcome, Outcome, excerpt
from services.webhooks.domain.destinations import Address, DestinationRefused, Target
from services.webhooks.infrastructure.destinations import DestinationGuard

MAX_POOLS = 256


class HttpSender:
    def __init__(self, guard: DestinationGuard, *, connect_timeout: float, timeout: float,
                 excerpt_bytes: int = 1024, per_endpoint: int = 4):
        self.guard = guard
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self.excerpt_bytes = excerpt_bytes
        self.per_endpoint = per_endpoint
        self._pools: collections.OrderedDict[tuple, urllib3.HTTPConnectionPool] = \
            collections.OrderedDict()

    def send(self, url: str, headers: Mapping[str, str], body: bytes) -> Outcome:
        started = time.perf_counter()

        def elapsed() -> float:
            return (time.perf_counter() - started) * 1000

        try:
            with eventlet.Timeout(self.timeout):
                try:
                    target, address = self.guard.pin(url)
                except DestinationRefused as refused:
                    return Outcome(AttemptOutcome.REFUSED, elapsed(), error=refused.message)
                status, text = self._post(target, address, headers, body)
        except eventlet.Timeout:
            return Outcome(AttemptOutcome.TIMEOUT, elapsed(),
                           error=f"No complete answer within {self.timeout:g} s.")
        except NewConnectionError as error:  # refused or unreachable (urllib3 makes it
            # a ConnectTimeoutError subclass: caught first)
            return Outcome(AttemptOutcome.CONNECTION_ERROR, elapsed(), error=_describe(error))
        except (ConnectTimeoutError, ReadTimeoutError, TimeoutError) as error:
            return Outcome(AttemptOutcome.TIMEOUT, elapsed(), error=_describe(error))
        except Exception as error:  # noqa: BLE001 -- any failure is the attempt's outcome
            return Outcome(AttemptOutcome.CONNECTION_ERROR, elapsed(), error=_describe(error))
        if 200 <= status < 300:
            kind = AttemptOutcome.DELIVERED
        elif status == 410:
            kind = AttemptOutcome.GONE
        else:
            kind = AttemptOutcome.HTTP_ERROR
        return Outcome(kind, elapsed(), status_code=status, response_excerpt=text,
                       error=None if kind is AttemptOutcome.DELIVERED else f"HTTP {status}")

    def _post(self, target: Target, address: Address, headers: Mapping[str, str],
              body: bytes) -> tuple[int, str | None]:
        pool = self._pool(target, address)
        response = pool.urlopen(
            "POST", target.path, body=body,
            headers={**headers, "Host": target.host_header, "Content-Length": str(len(body))},
            redirect=False, retries=False, preload_content=False, assert_same_host=False,
            timeout=urllib3.Timeout(connect=self.connect_timeout, read=self.timeout))
        try:
            start = response.read(self.excerpt_bytes + 1)
            if len(start) > self.excerpt_bytes:
                response.close()  # more than we keep: do not drain it, drop the connection
            else:
                response.drain_conn()
        finally:
            response.release_conn()
        return response.status, excerpt(start, self.excerpt_bytes)

    def _pool(self, target: Target, address: Address) -> urllib3.HTTPConnectionPool:
        key = (target.scheme, str(address), target.port, target.host)
        pool = self._pools.get(key)
        if pool is not None:
            self._pools.move_to_end(key)
            return pool
        host = str(address)
        options = {"maxsize": self.per_endpoint, "block": False, "retries": False}
        if target.scheme == "https":
            named = target.host != host
            pool = urllib3.HTTPSConnectionPool(
                host, target.port, cert_reqs="CERT_REQUIRED",
                assert_hostname=target.host if named else None,
                server_hostname=target.host if named else None, **options)
        else:
            pool = urllib3.HTTPConnectionPool(host, target.port, **options)
        self._pools[key] = pool
        while len(self._pools) > MAX_POOLS:
            _, oldest = self._pools.popitem(last=False)
            oldest.close()
        return pool

    def close(self) -> None:
        while self._pools:
            self._pools.popitem()[1].close()


_ERRNO = re.compile(r"\[Errno -?\d+\] [^'\")]+")


def _describe(error: Exception) -> str:
    """What went wrong, for the owner's delivery log: plain words, no exception class or
    module names (the owner is not us)."""
    errno = _ERRNO.search(str(error))
    detail = f" ({errno.group(0).strip()})" if errno else ""
    if isinstance(error, NewConnectionError):
        return f"Could not connect{detail}."
    if isinstance(error, (ConnectTimeoutError, ReadTimeoutError, TimeoutError)):
        return f"Timed out{detail}."
    if isinstance(error, SSLError):
        return "TLS failed: the certificate or the handshake was refused."
    if isinstance(error, ProtocolError):
        return f"The connection broke before a complete answer{detail}."
    return f"The request failed{detail}."
