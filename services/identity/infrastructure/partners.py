"""``PartnerDirectory`` over partners' RPC (``get_partner``): does a partner exist?"""
from __future__ import annotations

from common.seedwork.errors import NotFound


class PartnersRpcDirectory:
    def __init__(self, partners):
        self._partners = partners  # the RpcClient's proxy to the partners service

    def has_partner(self, partner_id: str) -> bool:
        try:
            self._partners.get_partner(partner_id)
        except NotFound:
            return False
        return True  # ServiceUnavailable (not running, no answer in time) goes up
