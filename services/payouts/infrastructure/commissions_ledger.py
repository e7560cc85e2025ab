"""The commissions service as the payout saga's ledger, over RPC (``RpcClient``: a slow or
absent commissions service raises ServiceUnavailable -- the saga repeats the step)."""
from __future__ import annotations

from common.seedwork.domain.money import Money
from services.payouts.application.ports import Hold, Payable


class CommissionsLedgerClient:
    def __init__(self, commissions):
        self._commissions = commissions  # the RpcClient's proxy to the commissions service

    def list_payable(self, currency: str, min_amount: Money) -> list[Payable]:
        found = self._commissions.list_payable({"currency": currency,
                                                "min_amount": min_amount.format_amount()})
        return [Payable(item["partner_id"], Money.of(item["payable"], currency))
                for item in found["items"]]

    def hold(self, payout_id: str, partner_id: str, currency: str, min_amount: Money) -> Hold:
        held = self._commissions.hold_for_payout({
            "payout_id": payout_id, "partner_id": partner_id, "currency": currency,
            "min_amount": min_amount.format_amount()})
        return Hold(held=held["status"] in ("HELD", "CONFIRMED"),
                    amount=Money.from_dict(held["amount"]),
                    commission_ids=tuple(held["commission_ids"]),
                    adjustment_ids=tuple(held["adjustment_ids"]),
                    commission_brands=held.get("commission_brands"))

    def confirm(self, payout_id: str) -> None:
        self._commissions.confirm_payout(payout_id)

    def release(self, payout_id: str) -> None:
        self._commissions.release_payout(payout_id)
