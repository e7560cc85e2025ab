"""Which commission domain events leave the service, and in what shape (common.contracts)."""
from __future__ import annotations

from common.contracts import commissions as contracts
from common.seedwork.application.integration import EventTranslator
from common.seedwork.domain.clock import isoformat
from services.commissions.domain import balances
from services.commissions.domain import campaign_budget as budgets
from services.commissions.domain import commission as domain

TRANSLATOR = EventTranslator()


def payload(event: domain.CommissionEvent) -> dict:
    state = event.commission
    source = state.source
    return {
        "commission_id": state.commission_id,
        "partner_id": source.partner_id,
        "campaign_id": source.campaign_id,
        "brand_id": source.brand_id,
        "conversion_id": source.conversion_id,
        "source_event_id": source.source_event_id,
        "amount": state.amount.to_dict(),
        "status": state.status.value,
        "terms_version": source.terms_version,
        "hold_until": isoformat(state.hold_until) if state.hold_until else None,
        "occurred_at": isoformat(event.occurred_at),
        "kind": source.kind,
        "note": source.note,
    }


TRANSLATOR.register(domain.CommissionCreated, contracts.COMMISSION_CREATED, payload)
@TRANSLATOR.maps(domain.BonusAwarded, contracts.BONUS_AWARDED)
def bonus_awarded(event: domain.BonusAwarded) -> dict:
    state, source = event.commission, event.commission.source
    return {"commission_id": state.commission_id, "partner_id": source.partner_id,
            "brand_id": source.brand_id, "campaign_id": source.campaign_id,
            "campaign_name": event.campaign_name, "amount": state.amount.to_dict(),
            "note": source.note, "occurred_at": isoformat(event.occurred_at)}


TRANSLATOR.register(domain.CommissionApproved, contracts.COMMISSION_APPROVED, payload)
TRANSLATOR.register(domain.CommissionRejected, contracts.COMMISSION_REJECTED,
                    lambda e: {**payload(e), "reason": e.reason})
TRANSLATOR.register(domain.CommissionDeclined, contracts.COMMISSION_DECLINED,
                    lambda e: {**payload(e), "reason": e.reason,
                               "declined_amount": e.declined.to_dict()})
TRANSLATOR.register(domain.CommissionReversed, contracts.COMMISSION_REVERSED,
                    lambda e: {**payload(e), "reversed_amount": e.reversed_amount.to_dict(),
                               "clawback": e.clawback})
TRANSLATOR.register(domain.CommissionPaid, contracts.COMMISSION_PAID,
                    lambda e: {**payload(e), "payout_id": e.payout_id})



def budget_payload(event: budgets.CampaignBudgetExhausted | budgets.CampaignBudgetAvailable
                   ) -> dict:
    return {"campaign_id": event.campaign_id, "brand_id": event.brand_id,
            "budget": event.budget.to_dict(), "reserved": event.reserved.to_dict(),
            "remaining": event.remaining.to_dict()}


TRANSLATOR.register(budgets.CampaignBudgetExhausted, contracts.CAMPAIGN_BUDGET_EXHAUSTED,
                    budget_payload)
TRANSLATOR.register(budgets.CampaignBudgetAvailable, contracts.CAMPAIGN_BUDGET_AVAILABLE,
                    budget_payload)


@TRANSLATOR.maps(balances.BalancesChanged, contracts.BALANCES_CHANGED)
def balances_changed(event: balances.BalancesChanged) -> dict:
    snapshot = event.snapshot
    return {
        "ledgers": [{"partner_id": ledger.partner_id, "currency": ledger.currency,
                     **{bucket.value: amount.format_amount()
                        for bucket, amount in ledger.balances.items()},
                     "revision": ledger.revision, "updated_at": isoformat(ledger.updated_at)}
                    for ledger in snapshot.ledgers],
        "budgets": [{"campaign_id": budget.campaign_id, "brand_id": budget.brand_id,
                     "total": budget.total.to_dict(), "reserved": budget.reserved.to_dict(),
                     "exhausted": budget.exhausted, "pending_count": budget.pending_count,
                     "pending_amount": budget.pending_amount.to_dict(),
                     "revision": budget.revision, "updated_at": isoformat(budget.updated_at)}
                    for budget in snapshot.budgets]}
