"""The campaign budget port over campaigns' RPC.

Calls go through ``common.nameko.rpc.RpcClient``: a campaigns outage or a slow answer
raises ``ServiceUnavailable``, which the caller turns into a retry (never a guess).
"""
from __future__ import annotations

import json

from nameko.exceptions import RemoteError

from common.contracts.campaigns import BudgetExhausted
from common.seedwork.domain.money import Money
from common.seedwork.errors import BusinessRuleViolation
from services.commissions.domain.budget import BudgetRelease, Reservation


class CampaignsBudget:
    def __init__(self, campaigns):
        self._campaigns = campaigns  # the RpcClient's proxy to the campaigns service

    def reserve(self, campaign_id: str, reservation_id: str, amount: Money) -> Reservation:
        try:
            self._campaigns.reserve_budget({"campaign_id": campaign_id,
                                            "reservation_id": reservation_id,
                                            "amount": amount.to_dict()})
        except BusinessRuleViolation as refusal:  # BudgetExhausted, or no reservations at all
            return Reservation(False, refusal.code)
        except RemoteError as error:
            if _remote_code(error) != BudgetExhausted.code:
                raise
            return Reservation(False, BudgetExhausted.code)
        return Reservation(True)

    def release(self, release: BudgetRelease) -> None:
        self._campaigns.release_budget({"reservation_id": release.reservation_id,
                                        "release_id": release.release_id,
                                        "amount": release.amount.to_dict()})


def _remote_code(error: RemoteError) -> str | None:
    """The ``code`` of a typed error raised with a class this process does not know."""
    try:
        return json.loads(error.value).get("code")
    except (TypeError, ValueError, AttributeError):
        return None
