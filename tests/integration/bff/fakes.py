"""Fake services with the real ones' names and RPC methods, answering from a tiny world.

Two brands (A, B), each with a campaign; two partners (A, B), each enrolled in its
brand's campaign, with a conversion, a commission and a payout. Everything B owns carries
the marker ``B_MARKER``, so a test can check that none of it reaches A. Every call is
recorded in ``CALLS`` (the containers run in the test's process), so a test can check
that a refused request reached no service.
"""
from __future__ import annotations

import copy
import functools

from kombu import Connection

from common.contracts.commissions import BudgetExhausted
from common.nameko.events import declare_handler_topology, handler_queue_name
from common.nameko.rpc import api
from common.seedwork.errors import Conflict, NotFound, ValidationError

CALLS: list[tuple[str, tuple]] = []
SIGNED_UP: dict[str, dict] = {}  # partners registered under the id sign-up chose
REGISTER_FAILURES: list[Exception] = []  # what the next register_partner calls raise
B_MARKER = "belongs-to-B"

BRAND_A, BRAND_B = "a0000000-0000-4000-8000-00000000000a", "b0000000-0000-4000-8000-00000000000b"
PARTNER_A, PARTNER_B = ("a1000000-0000-4000-8000-00000000000a",
                        "b1000000-0000-4000-8000-00000000000b")
CAMPAIGN_A, CAMPAIGN_B = ("a2000000-0000-4000-8000-00000000000a",
                          "b2000000-0000-4000-8000-00000000000b")
ENROLLMENT_A, ENROLLMENT_B = ("a3000000-0000-4000-8000-00000000000a",
                              "b3000000-0000-4000-8000-00000000000b")
CONVERSION_A, CONVERSION_B = ("a4000000-0000-4000-8000-00000000000a",
                              "b4000000-0000-4000-8000-00000000000b")
COMMISSION_A, COMMISSION_B = ("a5000000-0000-4000-8000-00000000000a",
                              "b5000000-0000-4000-8000-00000000000b")
PAYOUT_A, PAYOUT_B = ("a6000000-0000-4000-8000-00000000000a",
                      "b6000000-0000-4000-8000-00000000000b")
CODE_A, CODE_B = "codeaaaa", "codebbbb"
CLICK_ID = "c7000000-0000-4000-8000-000000000007"
LANDING = "https://shop.example.com/landing"


def declare_clicks_queue(config: dict) -> str:
    """Tracking's queue of the BFF's clicks, as ``alpes topology`` declares it: the BFF
    publishes them ``mandatory`` (no queue, no confirm, a 503). Returns its name."""
    declare_handler_topology(config["AMQP_URI"], config, source="bff",
                             event_type="clicks_captured", service="tracking",
                             method="on_clicks_captured")
    return handler_queue_name("bff", "clicks_captured", "tracking", "on_clicks_captured")


def handed_over_clicks(config: dict) -> list[dict]:
    """The clicks the BFF handed over to tracking so far (taken off its queue)."""
    clicks = []
    with Connection(config["AMQP_URI"]) as connection:
        queue = connection.SimpleQueue(declare_clicks_queue(config), no_ack=True)
        while True:
            try:
                message = queue.get(block=False)
            except queue.Empty:
                break
            clicks.extend(message.payload["payload"]["clicks"])
        queue.close()
    return clicks


def usd(amount: str) -> dict:
    return {"amount": amount, "currency": "USD"}


def _label(owner: str) -> str:
    return "A's" if owner == "A" else B_MARKER


PARTNERS = {pid: {"partner_id": pid, "name": f"Partner {_label(o)}", "email": f"{o}@ex.com",
                  "type": "media", "country": "ES", "status": "ACTIVE",
                  "kyc_status": "VERIFIED", "payout_method": None, "revision": 3}
            for pid, o in ((PARTNER_A, "A"), (PARTNER_B, "B"))}
BRANDS = {bid: {"brand_id": bid, "name": f"Brand {_label(o)}", "currency": "USD"}
          for bid, o in ((BRAND_A, "A"), (BRAND_B, "B"))}
TERMS = {"version": 1, "model": "CPS", "rate": "0.1", "min": None, "max": None,
         "amount": None, "daily_click_cap": None, "attribution_window_days": 30,
         "hold_days": 0, "effective_from": "2026-01-01T00:00:00Z"}
CAMPAIGNS = {cid: {"campaign_id": cid, "brand_id": bid, "name": f"Campaign {_label(o)}",
                   "description": "", "currency": "USD", "status": "ACTIVE",
                   "budget": usd("1000.00"), "landing_url": LANDING,
                   "eligibility": {"partner_types": [], "countries": []}, "terms": TERMS,
                   "terms_history": [TERMS], "revision": 2}
             for cid, bid, o in ((CAMPAIGN_A, BRAND_A, "A"), (CAMPAIGN_B, BRAND_B, "B"))}
ENROLLMENTS = {eid: {"enrollment_id": eid, "campaign_id": cid, "brand_id": bid,
                     "partner_id": pid, "referral_code": code,
                     "tracking_url": f"http://localhost:8000/r/{code}", "status": "ACTIVE"}
               for eid, cid, bid, pid, code in (
                   (ENROLLMENT_A, CAMPAIGN_A, BRAND_A, PARTNER_A, CODE_A),
                   (ENROLLMENT_B, CAMPAIGN_B, BRAND_B, PARTNER_B, CODE_B))}
CONVERSIONS = {cid: {"conversion_id": cid, "brand_id": bid, "order_id": f"order-{_label(o)}",
                     "amount": usd("200.00"), "status": "ATTRIBUTED", "reason": None,
                     "partner_id": pid, "campaign_id": camp, "customer_ip": "198.51.100.9",
                     "customer_id": f"customer-{_label(o)}", "attribution": "customer",
                     "refunds": []}
               for cid, bid, pid, camp, o in (
                   (CONVERSION_A, BRAND_A, PARTNER_A, CAMPAIGN_A, "A"),
                   (CONVERSION_B, BRAND_B, PARTNER_B, CAMPAIGN_B, "B"))}
COMMISSIONS = {cid: {"commission_id": cid, "partner_id": pid, "brand_id": bid,
                     "campaign_id": camp, "conversion_id": conv, "model": "CPS",
                     "amount": usd("20.00"), "status": "PENDING", "reason": _label(o)}
               for cid, pid, bid, camp, conv, o in (
                   (COMMISSION_A, PARTNER_A, BRAND_A, CAMPAIGN_A, CONVERSION_A, "A"),
                   (COMMISSION_B, PARTNER_B, BRAND_B, CAMPAIGN_B, CONVERSION_B, "B"))}
PAYOUTS = {pid: {"payout_id": pid, "partner_id": partner, "cycle": f"cycle-{_label(o)}",
                 "currency": "USD", "amount": usd("20.00"), "status": "PAID",
                 "saga_log": [{"attempt": 1, "step": "hold", "outcome": "done"}]}
           for pid, partner, o in ((PAYOUT_A, PARTNER_A, "A"), (PAYOUT_B, PARTNER_B, "B"))}


def recorded(method):
    @functools.wraps(method)
    def record(self, *args):
        CALLS.append((f"{self.name}.{method.__name__}", args))
        return method(self, *args)

    return record


def reset() -> None:
    """Forget what a test did: its calls, its signed-up partners, its planned failures."""
    CALLS.clear()
    SIGNED_UP.clear()
    REGISTER_FAILURES.clear()


def found(table: dict, key: str) -> dict:
    if key not in table:
        raise NotFound()
    return copy.deepcopy(table[key])


def page(items: list, filters: dict | None = None) -> dict:
    filters = {k: v for k, v in (filters or {}).items() if k not in ("page", "page_size")}
    chosen = [item for item in items
              if all(item.get(key, value) == value for key, value in filters.items())]
    return {"items": copy.deepcopy(chosen), "page": 1, "page_size": 20, "total": len(chosen)}


def stats(campaign_id: str, window: dict) -> dict:
    return {"campaign_id": campaign_id, "currency": "USD", "from": window["from"],
            "to": window["to"], "days": [],
            "totals": {"clicks": 3, "valid_clicks": 2, "conversions": 1,
                       "rejected_conversions": 0, "revenue": usd("200.00"),
                       "conversion_rate": "0.5000"}}


class Healthy:
    @api
    def health(self):
        return {"service": self.name, "status": "ok"}


class FakePartners(Healthy):
    name = "partners"

    @api
    @recorded
    def get_partner(self, partner_id):
        return found({**PARTNERS, **SIGNED_UP}, partner_id)

    @api
    @recorded
    def list_partners(self, filters=None):
        return page(list(PARTNERS.values()), filters)

    @api
    @recorded
    def register_partner(self, payload):
        """Partner A, or (sign-up with an account) a new partner under the id given: the
        same id again is a replay, an email of A's or B's a conflict, as the real one."""
        if REGISTER_FAILURES:
            raise REGISTER_FAILURES.pop(0)
        partner_id = payload.get("partner_id")
        if partner_id is None:
            return {"partner_id": PARTNER_A, "status": "PENDING"}
        if partner_id not in SIGNED_UP:
            if payload["email"].lower() in {p["email"].lower() for p in PARTNERS.values()}:
                raise Conflict("A partner with this email is already registered.",
                               {"email": ["Already registered."]})
            SIGNED_UP[partner_id] = {
                **copy.deepcopy(PARTNERS[PARTNER_A]), "partner_id": partner_id,
                "name": payload["name"], "email": payload["email"], "status": "PENDING",
                "kyc_status": "NOT_VERIFIED", "revision": 1}
        return {"partner_id": partner_id, "status": "PENDING"}

    @api
    @recorded
    def change_payout_method(self, partner_id, payout_method):
        return {**found({**PARTNERS, **SIGNED_UP}, partner_id), "payout_method": payout_method}

    @api
    @recorded
    def verify_partner(self, partner_id):
        return found(PARTNERS, partner_id)

    @api
    @recorded
    def activate_partner(self, partner_id):
        return found(PARTNERS, partner_id)

    @api
    @recorded
    def suspend_partner(self, partner_id, reason):
        return found(PARTNERS, partner_id)

    @api
    @recorded
    def reactivate_partner(self, partner_id):
        return found(PARTNERS, partner_id)


class FakeCampaigns(Healthy):
    name = "campaigns"

    @api
    @recorded
    def register_brand(self, payload):
        return {"brand_id": BRAND_A}

    @api
    @recorded
    def list_brands(self, filters=None):
        return page(list(BRANDS.values()), filters)

    @api
    @recorded
    def get_brand(self, brand_id):
        return found(BRANDS, brand_id)

    @api
    @recorded
    def create_campaign(self, payload):
        return found(CAMPAIGNS, CAMPAIGN_A if payload["brand_id"] == BRAND_A else CAMPAIGN_B)

    @api
    @recorded
    def get_campaign(self, campaign_id):
        return found(CAMPAIGNS, campaign_id)

    @api
    @recorded
    def list_campaigns(self, filters=None):
        return page(list(CAMPAIGNS.values()), filters)

    def _change(self, campaign_id, acting_brand_id):
        campaign = found(CAMPAIGNS, campaign_id)
        assert campaign["brand_id"] == acting_brand_id
        return campaign

    @api
    @recorded
    def activate_campaign(self, campaign_id, acting_brand_id):
        return self._change(campaign_id, acting_brand_id)

    @api
    @recorded
    def pause_campaign(self, campaign_id, acting_brand_id):
        return self._change(campaign_id, acting_brand_id)

    @api
    @recorded
    def end_campaign(self, campaign_id, acting_brand_id):
        return self._change(campaign_id, acting_brand_id)

    @api
    @recorded
    def cancel_campaign(self, campaign_id, acting_brand_id):
        return self._change(campaign_id, acting_brand_id)

    @api
    @recorded
    def change_terms(self, campaign_id, acting_brand_id, terms, effective_from=None):
        return self._change(campaign_id, acting_brand_id)

    @api
    @recorded
    def change_admission(self, campaign_id, acting_brand_id, admission):
        return {**self._change(campaign_id, acting_brand_id), "admission": admission}

    @api
    @recorded
    def enroll_partner(self, campaign_id, partner_id, note=None):
        return {**found(ENROLLMENTS, ENROLLMENT_A), "campaign_id": campaign_id,
                "partner_id": partner_id}

    @api
    @recorded
    def list_enrollments(self, filters=None):
        return page(list(ENROLLMENTS.values()), filters)

    @api
    @recorded
    def get_enrollment(self, enrollment_id):
        return found(ENROLLMENTS, enrollment_id)

    @staticmethod
    def _brand_decides(enrollment_id, acting_brand_id, **changes):
        enrollment = found(ENROLLMENTS, enrollment_id)
        assert enrollment["brand_id"] == acting_brand_id
        return {**enrollment, **changes}

    @api
    @recorded
    def suspend_enrollment(self, enrollment_id, acting_brand_id, note=None):
        return self._brand_decides(enrollment_id, acting_brand_id, status="SUSPENDED",
                                   suspension_reason="brand_suspended", suspension_note=note)

    @api
    @recorded
    def reactivate_enrollment(self, enrollment_id, acting_brand_id):
        return self._brand_decides(enrollment_id, acting_brand_id)

    @api
    @recorded
    def set_partner_commission(self, enrollment_id, acting_brand_id, commission):
        if commission and commission.get("rate") == "2":  # as campaigns refuses a rate > 1
            raise ValidationError("The partner's commission is invalid.", {"commission": {
                "rate": ["Must be greater than 0 and at most 1 (0.10 is 10%)."]}})
        figures = {"model": "CPS", **commission} if commission is not None else None
        return self._brand_decides(enrollment_id, acting_brand_id, commission=figures,
                                   commission_since="2026-12-07T10:00:00Z")

    @api
    @recorded
    def change_referral_code(self, enrollment_id, code, acting_partner_id=None,
                             acting_brand_id=None):
        enrollment = found(ENROLLMENTS, enrollment_id)
        assert acting_brand_id in (None, enrollment["brand_id"])
        assert acting_partner_id in (None, enrollment["partner_id"])
        if code == CODE_B:  # as campaigns refuses another link's code
            raise Conflict("Another link already has this code.",
                           {"code": ["Already taken: choose another."]})
        return {**enrollment, "referral_code": code,
                "tracking_url": f"http://localhost:8000/r/{code}"}

    @api
    @recorded
    def approve_enrollment(self, enrollment_id, acting_brand_id):
        return self._brand_decides(enrollment_id, acting_brand_id)

    @api
    @recorded
    def decline_enrollment(self, enrollment_id, acting_brand_id, reason=None):
        return self._brand_decides(enrollment_id, acting_brand_id, status="DECLINED",
                                   referral_code=None, tracking_url=None,
                                   decline_reason=reason)

    @api
    @recorded
    def leave_campaign(self, enrollment_id, acting_partner_id):
        enrollment = found(ENROLLMENTS, enrollment_id)
        assert enrollment["partner_id"] == acting_partner_id
        return {**enrollment, "status": "SUSPENDED", "suspension_reason": "partner_left"}

    @api
    @recorded
    def withdraw_application(self, enrollment_id, acting_partner_id):
        enrollment = found(ENROLLMENTS, enrollment_id)
        assert enrollment["partner_id"] == acting_partner_id
        return {**enrollment, "status": "WITHDRAWN", "referral_code": None,
                "tracking_url": None}


class FakeTracking(Healthy):
    name = "tracking"

    @api
    @recorded
    def resolve_referral_codes(self, codes):
        return {"items": [
            {"referral_code": e["referral_code"], "enrollment_id": e["enrollment_id"],
             "campaign_id": e["campaign_id"], "status": e["status"], "revision": 1,
             "campaign": {"campaign_id": e["campaign_id"], "landing_url": LANDING,
                          "status": "ACTIVE", "revision": 1}}
            for e in ENROLLMENTS.values() if e["referral_code"] in codes]}

    @api
    @recorded
    def record_partner_ip(self, payload):
        return payload

    @api
    @recorded
    def record_conversion(self, payload):
        conversion = found(CONVERSIONS, CONVERSION_A if payload["brand_id"] == BRAND_A
                           else CONVERSION_B)
        return {**conversion, "order_id": payload["order_id"]}

    @api
    @recorded
    def reverse_conversion(self, payload):
        return found(CONVERSIONS, CONVERSION_A if payload["brand_id"] == BRAND_A
                     else CONVERSION_B)

    @api
    @recorded
    def get_conversion(self, conversion_id):
        return found(CONVERSIONS, conversion_id)

    @api
    @recorded
    def list_conversions(self, filters=None):
        filters = {k: v for k, v in (filters or {}).items() if k not in ("from", "to")}
        return page(list(CONVERSIONS.values()), filters)

    @api
    @recorded
    def campaign_stats(self, payload):
        return stats(payload["campaign_id"], payload)

    @api
    @recorded
    def partner_stats(self, payload):
        campaign = CAMPAIGN_A if payload["partner_id"] == PARTNER_A else CAMPAIGN_B
        return {"partner_id": payload["partner_id"], "campaigns": [stats(campaign, payload)]}


class FakeCommissions(Healthy):
    name = "commissions"

    @api
    @recorded
    def get_commission(self, commission_id):
        return found(COMMISSIONS, commission_id)

    @api
    @recorded
    def list_commissions(self, filters=None):
        return page(list(COMMISSIONS.values()), filters)

    @api
    @recorded
    def award_bonus(self, payload):
        if payload["amount"]["amount"] == "999999.00":  # as commissions refuses it
            raise BudgetExhausted("The campaign has 980.00 USD left.",
                                  {"amount": ["At most 980.00 USD."]})
        return {"commission_id": "c7000000-0000-4000-8000-00000000000c", "kind": "bonus",
                "partner_id": payload["partner_id"], "brand_id": payload["acting_brand_id"],
                "campaign_id": payload["campaign_id"], "conversion_id": None, "model": None,
                "terms_version": 0, "amount": payload["amount"], "status": "APPROVED",
                "note": payload["note"], "reason": None}

    @api
    @recorded
    def approve_commission(self, commission_id, acting_brand_id):
        commission = found(COMMISSIONS, commission_id)
        assert commission["brand_id"] == acting_brand_id
        return {**commission, "status": "APPROVED"}

    @api
    @recorded
    def approve_commissions(self, commission_ids, acting_brand_id):
        approved, refused = [], []
        for commission_id in commission_ids:
            commission = COMMISSIONS.get(commission_id)
            if commission is None or commission["brand_id"] != acting_brand_id:
                code = "not_found" if commission is None else "forbidden"
                refused.append({"commission_id": commission_id,
                                "error": {"code": code, "message": code, "fields": {}}})
            else:
                approved.append(commission_id)
        return {"approved": approved, "refused": refused}

    @api
    @recorded
    def decline_commission(self, commission_id, acting_brand_id, reason):
        commission = found(COMMISSIONS, commission_id)
        assert commission["brand_id"] == acting_brand_id
        return {**commission, "status": "DECLINED", "reason": reason}

    @api
    @recorded
    def get_campaign_budget(self, campaign_id):
        found(CAMPAIGNS, campaign_id)
        return {"campaign_id": campaign_id, "total": usd("1000.00"),
                "reserved": usd("20.00"), "remaining": usd("980.00"), "exhausted": False}

    @api
    @recorded
    def get_balance(self, partner_id):
        return {"partner_id": partner_id, "balances": [
            {"currency": "USD", "pending": "20.00", "approved": "0.00", "in_payout": "0.00",
             "paid": "0.00", "adjustments": "0.00", "payable": "0.00"}]}


class FakePayouts(Healthy):
    name = "payouts"

    @api
    @recorded
    def run_payouts(self, payload):
        return {"cycle": payload.get("cycle") or "2026-01", "currency": payload["currency"],
                "started": [], "skipped": []}

    @api
    @recorded
    def get_payout(self, payout_id):
        return found(PAYOUTS, payout_id)

    @api
    @recorded
    def list_payouts(self, filters=None):
        return page(list(PAYOUTS.values()), filters)

    @api
    @recorded
    def retry_payout(self, payout_id):
        return found(PAYOUTS, payout_id)


class FakeIdentity(Healthy):
    """Knows no session and no API key (tests/integration/bff/test_identity_routes.py runs
    the real identity service instead)."""

    name = "identity"

    @api
    @recorded
    def authenticate_session(self, token_digest):
        return None

    @api
    @recorded
    def authenticate_api_key(self, key_digest):
        return None

    @api
    @recorded
    def request_password_reset(self, payload):
        return {"requested": True}  # known email or not: the same answer


class FakeWebhooks(Healthy):
    """Answers health only (tests/integration/bff/test_webhooks_routes.py runs the real
    webhooks service)."""

    name = "webhooks"


FAKES = (FakePartners, FakeCampaigns, FakeTracking, FakeCommissions, FakePayouts,
         FakeIdentity, FakeWebhooks)
