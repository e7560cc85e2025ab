"""Concurrent RPC fan-out for the pages that need several services at once.

    calls = Fanout()
    calls.start("profile", rpc.partners.get_partner.call_async, partner_id)
    calls.start("balance", rpc.commissions.get_balance.call_async, partner_id)
    profile = calls.result("profile")             # raises like a direct call would
    balance = calls.optional("balance")           # None if that service is unavailable

Every request is on the wire before the first answer is awaited, so the page costs the
slowest call, not the sum. A part that is ``optional`` degrades to ``None`` (and is
listed in ``unavailable``) when its service does not answer; other errors still raise.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from common.seedwork.errors import NotFound, ServiceUnavailable


class Fanout:
    def __init__(self):
        self._pending: dict[str, Any] = {}
        self._failed: dict[str, BaseException] = {}
        self.unavailable: list[str] = []

    def start(self, name: str, call_async: Callable[..., Any], *args: Any) -> None:
        try:
            self._pending[name] = call_async(*args)
        except Exception as error:  # noqa: BLE001 -- re-raised when the part is read
            self._failed[name] = error

    def result(self, name: str) -> Any:
        if name in self._failed:
            raise self._failed[name]
        return self._pending[name].result()

    def optional(self, name: str, missing_ok: bool = False) -> Any:
        """``None`` when the service did not answer (listed in ``unavailable``) or, with
        ``missing_ok``, when it does not know the object (yet: replicas lag a little)."""
        try:
            return self.result(name)
        except ServiceUnavailable:
            self.unavailable.append(name)
            return None
        except NotFound:
            if not missing_ok:
                raise
            return None
