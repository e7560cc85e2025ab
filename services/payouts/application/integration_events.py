"""Which payout domain events leave the service, and in what shape (common.contracts)."""
from __future__ import annotations

from common.contracts import payouts as contracts
from common.seedwork.application.integration import EventTranslator
from common.seedwork.domain.clock import isoformat
from services.payouts.domain import payout as domain

TRANSLATOR = EventTranslator()


def payload(event: domain.PayoutEvent) -> dict:
    state = event.payout
    data = {"payout_id": state.payout_id, "partner_id": state.partner_id, "cycle": state.cycle,
            "amount": state.amount.to_dict(), "commission_ids": list(state.commission_ids),
            "occurred_at": isoformat(event.occurred_at)}
    if state.commission_brands is not None:
        data["commission_brands"] = [{"commission_id": commission_id, "brand_id": brand_id}
                                     for commission_id, brand_id in state.commission_brands]
    return data


TRANSLATOR.register(domain.PayoutStarted, contracts.PAYOUT_STARTED, payload)
TRANSLATOR.register(domain.PayoutPaid, contracts.PAYOUT_PAID,
                    lambda e: {**payload(e), "psp_reference": e.psp_reference})
TRANSLATOR.register(domain.PayoutFailed, contracts.PAYOUT_FAILED,
                    lambda e: {**payload(e), "reason": e.reason})
TRANSLATOR.register(domain.PayoutCompensationFailed, contracts.PAYOUT_COMPENSATION_FAILED,
                    lambda e: {**payload(e), "reason": e.reason})
