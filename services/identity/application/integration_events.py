"""Which identity domain events leave the service, and in what shape (common.contracts).
Never a secret: ids, names, roles and times only."""
from __future__ import annotations

from common.contracts import identity as contracts
from common.seedwork.application.integration import EventTranslator
from common.seedwork.domain.clock import isoformat
from services.identity.domain import accounts, api_keys

TRANSLATOR = EventTranslator()


def _value(member):
    return member.value if member is not None else None


TRANSLATOR.register(accounts.AccountCreated, contracts.ACCOUNT_CREATED, lambda e: {
    "account_id": e.account_id, "email": e.email, "role": e.role.value,
    "partner_id": e.partner_id, "brand_id": e.brand_id, "brand_role": _value(e.brand_role),
    "created_at": isoformat(e.occurred_at)})
TRANSLATOR.register(accounts.AccountWithdrawn, contracts.ACCOUNT_WITHDRAWN, lambda e: {
    "account_id": e.account_id, "email": e.email, "partner_id": e.partner_id,
    "withdrawn_at": isoformat(e.occurred_at)})
TRANSLATOR.register(accounts.SessionsRevoked, contracts.SESSION_REVOKED, lambda e: {
    "account_id": e.account_id, "session_ids": list(e.session_ids), "reason": e.reason.value,
    "revoked_at": isoformat(e.occurred_at)})
TRANSLATOR.register(api_keys.ApiKeyIssued, contracts.API_KEY_CREATED, lambda e: {
    "api_key_id": e.api_key_id, "brand_id": e.brand_id, "name": e.name, "prefix": e.prefix,
    "scopes": list(e.scopes), "created_by": e.created_by,
    "created_at": isoformat(e.occurred_at)})
TRANSLATOR.register(api_keys.ApiKeyRevoked, contracts.API_KEY_REVOKED, lambda e: {
    "api_key_id": e.api_key_id, "brand_id": e.brand_id, "revoked_by": e.revoked_by,
    "revoked_at": isoformat(e.occurred_at)})
