"""Which partner domain events leave the service, and in what shape (common.contracts)."""
from __future__ import annotations

from common.contracts import partners as contracts
from common.seedwork.application.integration import EventTranslator
from common.seedwork.domain.clock import isoformat
from services.partners.domain import partner as domain

TRANSLATOR = EventTranslator()


def snapshot(state: domain.PartnerState) -> dict:
    return {
        "partner_id": state.partner_id,
        "name": state.name,
        "email": state.email,
        "type": state.type.value,
        "country": state.country,
        "status": state.status.value,
        "kyc_status": state.kyc_status.value,
        "payout_method": state.payout_method.to_dict() if state.payout_method else None,
        "registered_at": isoformat(state.registered_at),
        "revision": state.revision,
    }


TRANSLATOR.register(domain.PartnerRegistered, contracts.PARTNER_REGISTERED,
                    lambda e: snapshot(e.partner))
TRANSLATOR.register(domain.PartnerVerified, contracts.PARTNER_VERIFIED,
                    lambda e: snapshot(e.partner))
TRANSLATOR.register(domain.PartnerActivated, contracts.PARTNER_ACTIVATED,
                    lambda e: snapshot(e.partner))
TRANSLATOR.register(domain.PartnerSuspended, contracts.PARTNER_SUSPENDED,
                    lambda e: {**snapshot(e.partner), "reason": e.reason})
TRANSLATOR.register(domain.PartnerReactivated, contracts.PARTNER_REACTIVATED,
                    lambda e: snapshot(e.partner))
TRANSLATOR.register(domain.PayoutMethodChanged, contracts.PARTNER_PAYOUT_METHOD_CHANGED,
                    lambda e: snapshot(e.partner))
