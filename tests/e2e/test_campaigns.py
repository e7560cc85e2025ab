"""partners and campaigns as `nameko run` processes: a brand's campaign, a partner who
enrolls, and the partner's suspension flowing from one process to the other."""
from nameko.standalone.rpc import ClusterRpcProxy

from common.contracts.campaigns import PartnerNotActive
from common.seedwork.errors import NotFound
from tests.e2e.conftest import config_for
from tests.support import wait_for

PUBLIC_BASE_URL = "https://go.alpes.example"
CAMPAIGN = {"name": "Winter sale", "currency": "USD",
            "budget": {"amount": "1000.00", "currency": "USD"},
            "landing_url": "https://acme.example/winter",
            "terms": {"model": "CPS", "rate": "0.10", "attribution_window_days": 30,
                      "hold_days": 14}}
PARTNER = {"name": "Ana Ruiz", "email": "ana@example.com", "type": "influencer",
           "country": "ES"}


def enrollment_status(campaigns, partner_id) -> str:
    [enrollment] = campaigns.list_enrollments({"partner_id": partner_id})["items"]
    return enrollment["status"]


def test_a_partner_suspended_in_partners_is_suspended_in_campaigns(start_stack, e2e_env):
    start_stack("partners", "campaigns", extra_env={"PUBLIC_BASE_URL": PUBLIC_BASE_URL})
    with ClusterRpcProxy(config_for(e2e_env), timeout=10) as rpc:
        campaigns, partners = rpc.campaigns, rpc.partners
        brand_id = campaigns.register_brand({"name": "Acme", "currency": "USD"})["brand_id"]
        campaign_id = campaigns.create_campaign({**CAMPAIGN, "brand_id": brand_id})["campaign_id"]
        assert campaigns.activate_campaign(campaign_id, brand_id)["status"] == "ACTIVE"

        partner_id = partners.register_partner(PARTNER)["partner_id"]
        partners.verify_partner(partner_id)
        partners.activate_partner(partner_id)

        def enroll():
            try:
                return campaigns.enroll_partner(campaign_id, partner_id)
            except (PartnerNotActive, NotFound):  # the activation is not there yet
                return None

        enrollment = wait_for(enroll, timeout=20, message="the enrollment")
        code = enrollment["referral_code"]
        assert enrollment["tracking_url"] == f"{PUBLIC_BASE_URL}/r/{code}"

        partners.suspend_partner(partner_id, "chargeback fraud")
        wait_for(lambda: enrollment_status(campaigns, partner_id) == "SUSPENDED", timeout=20,
                 message="the suspension to reach campaigns")
        assert campaigns.resolve_referral_code(code)["status"] == "SUSPENDED"

        partners.reactivate_partner(partner_id)
        wait_for(lambda: enrollment_status(campaigns, partner_id) == "ACTIVE", timeout=20,
                 message="the reactivation to reach campaigns")
        assert campaigns.resolve_referral_code(code)["status"] == "ACTIVE"
