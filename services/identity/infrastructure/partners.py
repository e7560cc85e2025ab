"""``PartnerDirectory`` over partners' RPC (``get_partner``): does a partner exist?"""
from __future__ import annotations

from common.seedwork.errors import NotFound


class PartnersRpcDirectory:
    def __init__(self, rpc):
        # the worker's RpcClient: the proxy to partners is made only by the sweep that
        # asks, not by every identity worker (log-ins, authentications) that never does
        self._rpc = rpc

    def has_partner(self, partner_id: str) -> bool:
        try:
            self._rpc.partners.get_partner(partner_id)
        except NotFound:
            return False
        return True  # ServiceUnavailable (not running, no answer in time) goes up
