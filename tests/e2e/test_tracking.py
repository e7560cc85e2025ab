"""partners, campaigns and tracking as `nameko run` processes: a partner enrolls in a
real campaign, a visitor clicks and buys (attributed, with the campaign's terms), the
partner is suspended in partners and tracking rejects what follows."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from common.contracts.campaigns import PartnerNotActive
from common.nameko.config import db_uri
from common.seedwork.domain.clock import isoformat
from common.seedwork.errors import NotFound
from common.seedwork.infrastructure.database import Database
from tests.e2e.conftest import config_for
from tests.support import wait_for

CAMPAIGN = {"name": "Winter sale", "currency": "USD",
            "budget": {"amount": "1000.00", "currency": "USD"},
            "landing_url": "https://acme.example/winter?lang=en",
            "terms": {"model": "CPS", "rate": "0.10", "attribution_window_days": 30,
                      "hold_days": 14}}
PARTNER = {"name": "Ana Ruiz", "email": "ana@example.com", "type": "influencer",
           "country": "ES"}
VISITOR = "203.0.113.77"


def attempt(call):
    """The call's result, or None while the events it needs are on their way."""
    try:
        return call()
    except (NotFound, PartnerNotActive):
        return None


def test_click_and_conversion_across_the_real_services(start_stack, e2e_env, event_probe):
    probe = event_probe("tracking")
    start_stack("partners", "campaigns", "tracking")
    config = config_for(e2e_env)
    tracking_db = Database(db_uri(config, "tracking"))
    with ClusterRpcProxy(config, timeout=10) as rpc:
        brand_id = rpc.campaigns.register_brand({"name": "Acme", "currency": "USD"})["brand_id"]
        campaign_id = rpc.campaigns.create_campaign(
            {**CAMPAIGN, "brand_id": brand_id})["campaign_id"]
        rpc.campaigns.activate_campaign(campaign_id, brand_id)
        partner_id = rpc.partners.register_partner(PARTNER)["partner_id"]
        rpc.partners.verify_partner(partner_id)
        rpc.partners.activate_partner(partner_id)
        enrollment = wait_for(lambda: attempt(
            lambda: rpc.campaigns.enroll_partner(campaign_id, partner_id)),
            timeout=20, message="the enrollment")

        a_minute_ago = isoformat(datetime.now(UTC) - timedelta(minutes=1))
        click = wait_for(lambda: attempt(lambda: rpc.tracking.record_click({
            "referral_code": enrollment["referral_code"], "ip": VISITOR,
            "user_agent": "Mozilla/5.0", "occurred_at": a_minute_ago})),
            timeout=20, message="tracking to learn the referral code")
        assert click["attributable"] is True
        assert click["redirect_url"] == (
            f"https://acme.example/winter?lang=en&click_id={click['click_id']}")

        order = {"brand_id": brand_id, "order_id": "A-1001", "amount": "250.00",
                 "currency": "USD", "click_id": click["click_id"], "customer_ip": VISITOR}
        conversion = rpc.tracking.record_conversion(order)
        assert (conversion["status"], conversion["partner_id"], conversion["campaign_id"]) == (
            "ATTRIBUTED", partner_id, campaign_id)
        assert rpc.tracking.record_conversion(order) == conversion

        [attributed] = wait_for(lambda: probe.of_type("conversion_attributed"),
                                message="conversion_attributed")
        assert Decimal(attributed["payload"]["terms"]["rate"]) == Decimal("0.10")
        assert attributed["payload"]["order_amount"] == {"amount": "250.00", "currency": "USD"}

        # the brand takes the link out of its program: its orders are rejected, then back
        enrollment_id = enrollment["enrollment_id"]
        rpc.campaigns.suspend_enrollment(enrollment_id, brand_id)
        wait_for(lambda: _enrollment_status(tracking_db, enrollment_id) == "SUSPENDED",
                 timeout=20, message="the brand's suspension to reach tracking")
        by_code = {**order, "order_id": "A-1003", "click_id": None,
                   "referral_code": enrollment["referral_code"]}
        refused = rpc.tracking.record_conversion(by_code)
        assert (refused["status"], refused["reason"]) == ("REJECTED", "enrollment_suspended")
        rpc.campaigns.reactivate_enrollment(enrollment_id, brand_id)
        wait_for(lambda: _enrollment_status(tracking_db, enrollment_id) == "ACTIVE",
                 timeout=20, message="the reactivation to reach tracking")

        rpc.partners.suspend_partner(partner_id, "chargeback fraud")
        wait_for(lambda: _partner_status(tracking_db, partner_id) == "SUSPENDED", timeout=20,
                 message="the suspension to reach tracking")
        rejected = rpc.tracking.record_conversion({**order, "order_id": "A-1002"})
        assert (rejected["status"], rejected["reason"]) == ("REJECTED", "partner_suspended")

        today = datetime.now(UTC).date().isoformat()
        stats = rpc.tracking.campaign_stats({"campaign_id": campaign_id, "from": today,
                                             "to": today})
        assert {k: stats["totals"][k] for k in ("clicks", "valid_clicks", "conversions",
                                                "rejected_conversions")} == {
            "clicks": 1, "valid_clicks": 1, "conversions": 1, "rejected_conversions": 2}
        assert stats["totals"]["revenue"] == {"amount": "250.00", "currency": "USD"}
    tracking_db.dispose()


def _partner_status(database, partner_id):
    return _replica_status(database, "partners", partner_id)


def _enrollment_status(database, enrollment_id):
    return _replica_status(database, "enrollments", enrollment_id)


def _replica_status(database, table, row_id):
    """The status tracking's replica holds (``table`` is one of ours, never input)."""
    with database.reader() as conn:
        return conn.execute(text(f"SELECT status FROM {table} WHERE id = :id"),
                            {"id": row_id}).scalar()
