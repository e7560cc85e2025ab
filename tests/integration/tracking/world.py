"""Contract-valid campaigns and partners events for the tracking tests, published the
way their services publish them (``<source>.events``, routing key = event type), and a
way to wait until tracking has replicated them.

Tracking must not wait for the campaigns service: the tests speak its contract.
"""
from __future__ import annotations

import copy
import itertools
import uuid
from datetime import UTC, datetime

from nameko.standalone.events import event_dispatcher
from sqlalchemy import text

from common.contracts import campaigns as campaign_contracts
from common.contracts import partners as partner_contracts
from common.contracts.base import EventContract
from common.seedwork.application.integration import IntegrationEvent
from common.seedwork.domain.clock import isoformat
from common.seedwork.infrastructure.database import Database
from tests.support import wait_for

LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
_codes = itertools.count(1)


def new_id() -> str:
    return str(uuid.uuid4())


def terms(version: int = 1, *, model: str = "CPS", window_days: int = 30,
          effective_from: datetime = LONG_AGO, rate: str = "0.10",
          amount: str | None = None, currency: str = "EUR",
          recurring_months: int | None = None) -> dict:
    return {
        "version": version, "model": model,
        "rate": rate if model == "CPS" else None, "min": None, "max": None,
        "amount": {"amount": amount or "0.50", "currency": currency}
        if model != "CPS" else None,
        "daily_click_cap": None, "recurring_months": recurring_months,
        "attribution_window_days": window_days, "hold_days": 30,
        "effective_from": isoformat(effective_from),
    }


class Campaign:
    """A campaign snapshot that moves forward one revision per event."""

    def __init__(self, brand_id: str, *, currency: str = "EUR", status: str = "ACTIVE",
                 landing_url: str = "https://shop.example/landing?utm=alpes",
                 first_terms: dict | None = None):
        self.terms_history = [first_terms or terms(currency=currency)]
        self.snapshot = {
            "campaign_id": new_id(), "brand_id": brand_id, "name": "Spring sale",
            "currency": currency, "status": status, "starts_at": None, "ends_at": None,
            "landing_url": landing_url, "budget": {"amount": "10000.00", "currency": currency},
            "eligibility": {"partner_types": [], "countries": []},
            "terms": self.terms_history[-1], "revision": 1,
        }

    @property
    def id(self) -> str:
        return self.snapshot["campaign_id"]

    @property
    def brand_id(self) -> str:
        return self.snapshot["brand_id"]

    def change(self, **fields) -> dict:
        self.snapshot = {**self.snapshot, **fields, "revision": self.snapshot["revision"] + 1}
        return copy.deepcopy(self.snapshot)

    def new_terms(self, new: dict) -> dict:
        self.terms_history.append(new)
        return self.change(terms=new)


class World:
    """Publishes campaigns/partners events and waits for tracking's replica."""

    def __init__(self, config: dict, db_uri: str):
        self.config = config
        self.database = Database(db_uri)
        self._dispatch = event_dispatcher(config)

    def close(self) -> None:
        self.database.dispose()

    # publishing --------------------------------------------------------------------------
    def publish(self, contract: EventContract, payload: dict) -> dict:
        contract.serialize(payload)  # the tests send only contract-valid payloads
        message = IntegrationEvent.new(source=contract.source, type=contract.name,
                                       version=contract.version, payload=payload).to_message()
        self._dispatch(contract.source, contract.name, message)
        return message

    # campaigns ---------------------------------------------------------------------------
    def campaign(self, brand_id: str | None = None, **options) -> Campaign:
        """A campaign, announced by campaign_activated."""
        campaign = Campaign(brand_id or new_id(), **options)
        self.publish(campaign_contracts.CAMPAIGN_ACTIVATED,
                     {"campaign": copy.deepcopy(campaign.snapshot)})
        self.wait_revision("campaigns", campaign.id, campaign.snapshot["revision"])
        return campaign

    def campaign_event(self, campaign: Campaign, contract: EventContract, **fields) -> None:
        payload = {"campaign": campaign.change(**fields)}
        if contract is campaign_contracts.CAMPAIGN_PAUSED:
            payload["reason"] = "manual"
        self.publish(contract, payload)
        self.wait_revision("campaigns", campaign.id, campaign.snapshot["revision"])

    def change_terms(self, campaign: Campaign, new: dict) -> None:
        previous = campaign.terms_history[-1]["version"]
        snapshot = campaign.new_terms(new)
        self.publish(campaign_contracts.CAMPAIGN_TERMS_CHANGED, {
            "campaign": snapshot, "new_terms": new, "previous_version": previous})
        self.wait_revision("campaigns", campaign.id, snapshot["revision"])

    def enroll(self, campaign: Campaign, partner_id: str | None = None) -> dict:
        """A partner_enrolled event; returns the enrollment payload (with its code)."""
        enrollment = {
            "enrollment_id": new_id(), "campaign_id": campaign.id,
            "brand_id": campaign.brand_id, "partner_id": partner_id or new_id(),
            "referral_code": f"CODE{next(_codes):05d}{uuid.uuid4().hex[:4].upper()}",
            "tracking_url": "http://localhost:8000/r/code", "status": "ACTIVE",
            "enrolled_at": isoformat(LONG_AGO), "revision": 1}
        self.publish(campaign_contracts.PARTNER_ENROLLED, {
            **enrollment, "campaign": copy.deepcopy(campaign.snapshot),
            "terms_history": copy.deepcopy(campaign.terms_history)})
        self.wait_revision("enrollments", enrollment["enrollment_id"], 1)
        return enrollment

    def set_enrollment_status(self, enrollment: dict, status: str) -> dict:
        contract = (campaign_contracts.ENROLLMENT_SUSPENDED if status == "SUSPENDED"
                    else campaign_contracts.ENROLLMENT_REACTIVATED)
        enrollment.update(status=status, revision=enrollment["revision"] + 1)
        self.publish(contract, {**enrollment, "reason": "test"})
        self.wait_revision("enrollments", enrollment["enrollment_id"], enrollment["revision"])
        return enrollment

    def give_figures(self, enrollment: dict, figures: dict | None, effective_from) -> dict:
        """The brand's own commission for this partner (None: the campaign's again)."""
        enrollment.update(revision=enrollment["revision"] + 1)
        self.publish(campaign_contracts.ENROLLMENT_COMMISSION_CHANGED, {
            **enrollment, "campaign_name": "Spring sale", "commission": figures,
            "effective_from": isoformat(effective_from)})
        self.wait_revision("enrollments", enrollment["enrollment_id"], enrollment["revision"])
        return enrollment

    def change_code(self, enrollment: dict, code: str) -> dict:
        """The link takes a code of its partner's choosing."""
        previous = enrollment["referral_code"]
        enrollment.update(referral_code=code, revision=enrollment["revision"] + 1)
        self.publish(campaign_contracts.ENROLLMENT_CODE_CHANGED, {
            **enrollment, "campaign_name": "Spring sale", "previous_code": previous,
            "changed_by": "partner", "reason": None})
        self.wait_revision("enrollments", enrollment["enrollment_id"], enrollment["revision"])
        return enrollment

    # partners ----------------------------------------------------------------------------
    def partner(self, partner_id: str, *, status: str = "ACTIVE", revision: int = 3,
                email: str | None = None) -> dict:
        snapshot = {
            "partner_id": partner_id, "name": "Ana", "email": email or f"{partner_id}@p.example",
            "type": "influencer", "country": "ES", "status": status, "kyc_status": "VERIFIED",
            "payout_method": None, "registered_at": isoformat(LONG_AGO), "revision": revision}
        if status == "SUSPENDED":
            self.publish(partner_contracts.PARTNER_SUSPENDED, {**snapshot, "reason": "fraud"})
        else:
            self.publish(partner_contracts.PARTNER_ACTIVATED, snapshot)
        self.wait_revision("partners", partner_id, revision)
        return snapshot

    # replica -----------------------------------------------------------------------------
    def revision(self, table: str, row_id: str) -> int | None:
        with self.database.reader() as conn:
            return conn.execute(text(f"SELECT revision FROM {table} WHERE id = :id"),
                                {"id": row_id}).scalar()

    def wait_revision(self, table: str, row_id: str, revision: int) -> None:
        wait_for(lambda: (self.revision(table, row_id) or 0) >= revision,
                 message=f"{table} {row_id} at revision {revision}")
