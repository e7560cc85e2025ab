"""Domain objects for the campaigns unit tests, valid unless told otherwise."""
from decimal import Decimal

from common.seedwork.domain.money import Money
from services.campaigns.domain.brand import Brand
from services.campaigns.domain.campaign import Campaign, CampaignDraft
from services.campaigns.domain.partner import Eligibility, PartnerFacts, PartnerReplica
from services.campaigns.domain.terms import TermsSpec
from tests.unit.campaigns.fakes import NOW

PARTNER_ID = "6f9619ff-8b86-d011-b42d-00c04fc964ff"


def usd(amount) -> Money:
    return Money.of(str(amount), "USD")


def cps(**overrides) -> TermsSpec:
    fields = {"model": "CPS", "rate": Decimal("0.10"), "attribution_window_days": 30,
              "hold_days": 14, **overrides}
    return TermsSpec(**fields)


def cpa(amount="10.00", **overrides) -> TermsSpec:
    if not isinstance(amount, Money) and amount is not None:
        amount = usd(amount)
    fields = {"model": "CPA", "amount": amount, "attribution_window_days": 30,
              "hold_days": 14, **overrides}
    return TermsSpec(**fields)


def brand(currency="USD") -> Brand:
    return Brand.register(name="Acme", currency=currency, now=NOW)


def draft(**overrides) -> CampaignDraft:
    fields = {"name": "Winter sale", "currency": "USD", "budget": usd("1000.00"),
              "landing_url": "https://acme.example/winter", "terms": cps(), **overrides}
    return CampaignDraft(**fields)


def campaign(terms=None, budget="1000.00", active=True, **overrides) -> Campaign:
    made = Campaign.create(brand(), draft(terms=terms or cps(), budget=usd(budget), **overrides),
                           NOW)
    if active:
        made.activate(NOW)
    made.pull_events()
    return made


def facts(status="ACTIVE", revision=3, type="influencer", country="ES",
          partner_id=PARTNER_ID) -> PartnerFacts:
    return PartnerFacts(partner_id=partner_id, type=type, country=country, status=status,
                        revision=revision)


def partner(**kwargs) -> PartnerReplica:
    return PartnerReplica.from_facts(facts(**kwargs), NOW)


def eligibility(types=(), countries=()) -> Eligibility:
    return Eligibility.of(types, countries)
