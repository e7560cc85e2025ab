from common.seedwork.errors import Conflict
from common.seedwork.infrastructure.memory import InMemoryRepository, InMemoryUnitOfWork
from services.partners.application.integration_events import TRANSLATOR


class FakePartnerRepository(InMemoryRepository):
    def add(self, partner):
        """As the table's unique indexes: the id, and the email in any case."""
        if partner.id in self.items or self.get_by_email(partner.email) is not None:
            raise Conflict("A partner with this email is already registered.",
                           {"email": ["Already registered."]})
        super().add(partner)

    def get_by_email(self, email):
        return self.first(lambda p: p.email.lower() == email.strip().lower())


def fake_uow():
    return InMemoryUnitOfWork(translator=TRANSLATOR, partners=FakePartnerRepository())
