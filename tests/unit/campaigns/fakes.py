"""In-memory repositories and a bus for the campaigns handlers."""
from datetime import UTC, datetime

from common.seedwork.application.bus import MessageBus
from common.seedwork.infrastructure.memory import InMemoryRepository, InMemoryUnitOfWork
from services.campaigns.application.handlers import HANDLERS
from services.campaigns.application.integration_events import TRANSLATOR
from services.campaigns.application.ports import DuplicateEnrollment, ReferralCodeTaken
from tests.clock import Clock

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
BASE_URL = "https://go.alpes.test"


class FakeEnrollmentRepository(InMemoryRepository):
    """Enforces the two unique keys the real table has."""

    def add(self, enrollment):
        if self.get_for(enrollment.campaign_id, enrollment.partner_id) is not None:
            raise DuplicateEnrollment(enrollment.campaign_id)
        if self.first(lambda e: e.referral_code == enrollment.referral_code) is not None:
            raise ReferralCodeTaken(enrollment.referral_code)
        super().add(enrollment)

    def get_for(self, campaign_id, partner_id):
        return self.first(lambda e: (e.campaign_id, e.partner_id) == (campaign_id, partner_id))

    def holding_code(self, code):
        holder = self.first(lambda e: e.referral_code == code)
        return holder.id if holder else None

    def of_partner(self, partner_id):
        return self.find(lambda e: e.partner_id == partner_id)

    def waiting_in(self, campaign_id):
        return self.find(lambda e: e.campaign_id == campaign_id and e.status.value == "PENDING")


class FakeCampaignRepository(InMemoryRepository):
    def expired(self, now, limit):
        due = self.find(lambda c: c.status.value in ("ACTIVE", "PAUSED")
                        and c.ends_at is not None and c.ends_at <= now)
        return [c.id for c in sorted(due, key=lambda c: c.ends_at)][:limit]


def fake_uow():
    return InMemoryUnitOfWork(
        translator=TRANSLATOR, brands=InMemoryRepository(), campaigns=FakeCampaignRepository(),
        enrollments=FakeEnrollmentRepository(), partners=InMemoryRepository())


def fake_bus(uow, clock=None, codes=None):
    from services.campaigns.domain.enrollment import new_referral_code

    next_code = (lambda: next(codes)) if codes is not None else new_referral_code
    return MessageBus(uow, HANDLERS, {"clock": clock or Clock(NOW), "new_code": next_code,
                                      "public_base_url": BASE_URL})
