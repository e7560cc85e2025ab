"""The ``partners`` Nameko service: register, verify, activate, suspend partners.

Each RPC validates its payload, hands a command or query to the bus, returns a DTO.
"""
from __future__ import annotations

from common.nameko import health
from common.nameko.bus import MessageBusProvider
from common.nameko.database import ServiceDatabase
from common.nameko.rpc import api
from common.validation import load
from services.partners import schemas
from services.partners.application import commands, queries
from services.partners.application.handlers import HANDLERS
from services.partners.application.integration_events import TRANSLATOR
from services.partners.infrastructure.tables import Base
from services.partners.infrastructure.unit_of_work import SqlPartnersUnitOfWork


class PartnersService(health.HealthMixin):
    name = "partners"

    db = ServiceDatabase(Base)
    bus = MessageBusProvider(handlers=HANDLERS, unit_of_work=SqlPartnersUnitOfWork,
                             translator=TRANSLATOR)

    # commands ----------------------------------------------------------------------------
    @api
    def register_partner(self, payload):
        data = load(schemas.RegisterPartnerSchema, payload)
        partner = self.bus.handle(commands.RegisterPartner(**data))
        return {"partner_id": partner.id, "status": partner.status.value}

    @api
    def verify_partner(self, partner_id):
        return self._change(commands.VerifyPartner, partner_id)

    @api
    def activate_partner(self, partner_id):
        return self._change(commands.ActivatePartner, partner_id)

    @api
    def suspend_partner(self, partner_id, reason):
        data = load(schemas.SuspendPartnerSchema, {"partner_id": partner_id, "reason": reason})
        self.bus.handle(commands.SuspendPartner(**data))
        return self._get(data["partner_id"])

    @api
    def reactivate_partner(self, partner_id):
        return self._change(commands.ReactivatePartner, partner_id)

    @api
    def change_payout_method(self, partner_id, payout_method):
        data = load(schemas.ChangePayoutMethodSchema,
                    {"partner_id": partner_id, "payout_method": payout_method})
        self.bus.handle(commands.ChangePayoutMethod(**data))
        return self._get(data["partner_id"])

    # queries -----------------------------------------------------------------------------
    @api
    def get_partner(self, partner_id):
        data = load(schemas.PartnerIdSchema, {"partner_id": partner_id})
        return self._get(data["partner_id"])

    @api
    def list_partners(self, filters=None):
        data = load(schemas.ListPartnersSchema, filters or {})
        return self.bus.query(queries.ListPartners(**data))

    # helpers -----------------------------------------------------------------------------
    def _change(self, command_type, partner_id):
        data = load(schemas.PartnerIdSchema, {"partner_id": partner_id})
        self.bus.handle(command_type(**data))
        return self._get(data["partner_id"])

    def _get(self, partner_id):
        return self.bus.query(queries.GetPartner(partner_id=partner_id))
