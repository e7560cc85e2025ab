"""The thin service classes, with Nameko's ``worker_factory`` (every dependency a mock):
each RPC validates its input field by field before anything reaches the bus, and hands
the bus the typed command or query of its use case."""
from decimal import Decimal
from unittest.mock import call

import pytest
from nameko.testing.services import worker_factory

from common.seedwork.errors import ValidationError
from services.campaigns.application import commands as campaign_commands
from services.campaigns.service import CampaignsService
from services.commissions.application import commands as commission_commands
from services.commissions.service import CommissionsService
from services.partners.application import commands as partner_commands
from services.partners.application import queries as partner_queries
from services.partners.service import PartnersService
from services.payouts.application import commands as payout_commands
from services.payouts.application.settings import PayoutsSettings
from services.payouts.service import PayoutsService

PARTNER = "6f1c2a54-0d7e-4a8e-9a57-2c1f1b0e7a01"
BRAND = "0b9f8e34-52c1-4f7a-8d0e-3a6c9d2b4e02"
CAMPAIGN = "3c7d1e90-8b2a-4c55-b1f3-7e9a0d4c6b03"


def test_suspending_a_partner_hands_the_bus_its_command_then_reads_it_back():
    service = worker_factory(PartnersService)
    service.suspend_partner(PARTNER, "chargebacks")
    assert service.bus.handle.call_args == call(
        partner_commands.SuspendPartner(partner_id=PARTNER, reason="chargebacks"))
    assert service.bus.query.call_args == call(partner_queries.GetPartner(partner_id=PARTNER))


def test_bad_input_is_refused_field_by_field_before_the_bus():
    service = worker_factory(PartnersService)
    with pytest.raises(ValidationError) as refused:
        service.register_partner({"name": "", "email": "nope", "type": "spammer"})
    assert {"email", "type", "country"} <= set(refused.value.fields)
    assert not service.bus.handle.called


def test_campaign_actions_name_the_acting_brand():
    service = worker_factory(CampaignsService)
    service.pause_campaign(CAMPAIGN, BRAND)
    assert service.bus.handle.call_args == call(
        campaign_commands.PauseCampaign(campaign_id=CAMPAIGN, acting_brand_id=BRAND))
    with pytest.raises(ValidationError):
        service.pause_campaign("not-an-id", BRAND)


def test_a_brand_declines_a_commission_with_its_reason():
    service = worker_factory(CommissionsService)
    service.decline_commission(CAMPAIGN, BRAND, "order returned")
    assert service.bus.handle.call_args == call(commission_commands.DeclineCommission(
        commission_id=CAMPAIGN, acting_brand_id=BRAND, reason="order returned"))


def test_a_payout_run_without_a_threshold_takes_the_currencys_from_settings():
    service = worker_factory(PayoutsService)
    service.bus.settings = PayoutsSettings(min_amount=Decimal("50.00"),
                                           min_amount_by_currency={"JPY": Decimal("5000")})
    service.run_payouts({"currency": "JPY", "cycle": "2026-12"})
    [command] = service.bus.handle.call_args.args
    assert isinstance(command, payout_commands.RunPayouts)
    assert (command.currency, command.cycle, command.min_amount) == (
        "JPY", "2026-12", Decimal("5000"))
