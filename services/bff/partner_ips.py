"""Tell tracking which IPs a partner uses, for its self-referral fraud rule.

A conversion whose customer IP is one the partner itself used is self-referral.
Only the BFF sees partners' own addresses (signup, portal use), so it reports them
with ``tracking.record_partner_ip`` -- without waiting for the answer, at most once
per (partner, IP) per process lifetime window, and never failing the request for it.
"""
from __future__ import annotations

import ipaddress
import logging

from services.bff.lru import Lru

log = logging.getLogger(__name__)


class PartnerIps:
    def __init__(self, max_remembered: int = 50_000):
        self._seen: Lru = Lru(max_remembered)

    def first_sighting(self, partner_id: str, ip: str) -> bool:
        key = (partner_id, ip)
        if self._seen.touch(key):
            return False
        self._seen.put(key, True)
        return True


def report(call, partner_id: str) -> None:
    """Fire-and-forget ``record_partner_ip`` the first time this IP is seen for him."""
    ip = call.client_ip
    if not _is_ip(ip) or not call.edge.partner_ips.first_sighting(partner_id, ip):
        return
    try:
        call.rpc.tracking.record_partner_ip.call_async({"partner_id": partner_id, "ip": ip})
    except Exception:  # noqa: BLE001 -- best effort: fraud rules degrade, requests don't
        log.warning("could not report partner %s's IP to tracking", partner_id)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False
