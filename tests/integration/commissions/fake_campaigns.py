"""A stand-in ``campaigns`` service for the commissions and payouts tests: the budget RPC
with campaigns' method names and shapes, over an in-memory budget.

``BUDGET.slow_calls = n`` makes the next n reservations answer after ``slow_seconds``
(longer than the caller's RPC timeout: the caller sees ServiceUnavailable although the
reservation was made, the case a retry must not double).
"""
from __future__ import annotations

import eventlet

from common.contracts.campaigns import BudgetExhausted
from common.nameko.rpc import api
from common.seedwork.domain.money import Money
from common.seedwork.errors import Conflict, NotFound


class FakeBudgetBook:
    def __init__(self):
        self.reset()

    def reset(self):
        self.budgets: dict[str, Money] = {}
        self.reservations: dict[str, dict] = {}
        self.releases: dict[str, Money] = {}
        self.reserve_calls = 0
        self.slow_calls = 0
        self.slow_seconds = 0.0

    def remaining(self, campaign_id: str) -> Money:
        budget = self.budgets[campaign_id]
        left = [r["amount"] - r["released"] for r in self.reservations.values()
                if r["campaign_id"] == campaign_id]
        return budget - sum(left, Money.zero(budget.currency))

    def held_by(self, reservation_id: str) -> Money:
        reservation = self.reservations[reservation_id]
        return reservation["amount"] - reservation["released"]


BUDGET = FakeBudgetBook()


class FakeCampaignsService:
    name = "campaigns"

    @api
    def reserve_budget(self, payload):
        BUDGET.reserve_calls += 1
        if BUDGET.slow_calls:
            BUDGET.slow_calls -= 1
            eventlet.sleep(BUDGET.slow_seconds)
        amount = Money.from_dict(payload["amount"])
        campaign_id, reservation_id = payload["campaign_id"], payload["reservation_id"]
        existing = BUDGET.reservations.get(reservation_id)
        if existing is not None:
            if existing["amount"] != amount:
                raise Conflict("Reservation id already used for another request.")
            return self._reservation(existing)
        if campaign_id in BUDGET.budgets and BUDGET.remaining(campaign_id) < amount:
            raise BudgetExhausted("The campaign budget cannot cover this amount.")
        BUDGET.reservations[reservation_id] = {
            "reservation_id": reservation_id, "campaign_id": campaign_id, "amount": amount,
            "released": Money.zero(amount.currency)}
        return self._reservation(BUDGET.reservations[reservation_id])

    @api
    def release_budget(self, payload):
        reservation = BUDGET.reservations.get(payload["reservation_id"])
        if reservation is None:
            raise NotFound("No such reservation.", {"reservation_id": ["Unknown."]})
        release_id = payload.get("release_id") or "everything"
        if release_id not in BUDGET.releases:
            left = reservation["amount"] - reservation["released"]
            amount = Money.from_dict(payload["amount"]) if payload.get("amount") else left
            BUDGET.releases[release_id] = amount
            reservation["released"] += amount
        return {"reservation_id": reservation["reservation_id"],
                "released": BUDGET.releases[release_id].to_dict(),
                "reserved": (reservation["amount"] - reservation["released"]).to_dict(),
                "remaining": None}

    @staticmethod
    def _reservation(reservation):
        return {"reservation_id": reservation["reservation_id"],
                "campaign_id": reservation["campaign_id"],
                "amount": reservation["amount"].to_dict(), "status": "RESERVED",
                "remaining": None}
