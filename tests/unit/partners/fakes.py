from common.seedwork.infrastructure.memory import InMemoryRepository, InMemoryUnitOfWork
from services.partners.application.integration_events import TRANSLATOR


class FakePartnerRepository(InMemoryRepository):
    def get_by_email(self, email):
        return self.first(lambda p: p.email.lower() == email.strip().lower())


def fake_uow():
    return InMemoryUnitOfWork(translator=TRANSLATOR, partners=FakePartnerRepository())
