"""Partners use cases: one small function each."""
from __future__ import annotations

from collections.abc import Callable

from common.seedwork.application.bus import HandlerRegistry
from common.seedwork.errors import Conflict, NotFound
from services.partners.application import commands, queries, views
from services.partners.application.ports import PartnersUnitOfWork
from services.partners.domain.partner import Partner, PartnerType
from services.partners.domain.payout_method import PayoutMethod

HANDLERS = HandlerRegistry()
Clock = Callable[[], object]


@HANDLERS.command(commands.RegisterPartner)
def register_partner(cmd: commands.RegisterPartner, uow: PartnersUnitOfWork, clock) -> Partner:
    """A new PENDING partner. With the caller's ``partner_id`` (sign-up binds the account
    to it first), the same id and email again is a replay: the partner registered then,
    unchanged, no event. The id with another email is a conflict. The unique indexes
    decide, so a replay racing the first registration is one too."""
    try:
        with uow:
            partner = Partner.register(
                name=cmd.name, email=cmd.email, type=PartnerType(cmd.type),
                country=cmd.country, payout_method=PayoutMethod.from_dict(cmd.payout_method),
                now=clock(), id=cmd.partner_id)
            uow.partners.add(partner)  # Conflict if the email (any case) or the id is taken
            uow.commit()
    except Conflict:
        known = None
        if cmd.partner_id:
            with uow.peek():
                known = uow.partners.get(cmd.partner_id)
        if known is None:
            raise
        return _replayed(known, cmd.email)
    return partner


def _replayed(partner: Partner, email: str) -> Partner:
    if partner.email.lower() != email.strip().lower():
        raise Conflict("This partner id is taken.", {"partner_id": ["Already registered."]})
    return partner


def _change(uow: PartnersUnitOfWork, partner_id: str, change: Callable[[Partner], None]) -> None:
    with uow:
        partner = uow.partners.get(partner_id, for_update=True)
        if partner is None:
            raise NotFound(f"Partner {partner_id} does not exist.", {"partner_id": ["Unknown."]})
        change(partner)
        uow.partners.save(partner)
        uow.commit()


@HANDLERS.command(commands.VerifyPartner)
def verify_partner(cmd: commands.VerifyPartner, uow: PartnersUnitOfWork, clock) -> None:
    _change(uow, cmd.partner_id, lambda partner: partner.verify_kyc(clock()))


@HANDLERS.command(commands.ActivatePartner)
def activate_partner(cmd: commands.ActivatePartner, uow: PartnersUnitOfWork, clock) -> None:
    _change(uow, cmd.partner_id, lambda partner: partner.activate(clock()))


@HANDLERS.command(commands.SuspendPartner)
def suspend_partner(cmd: commands.SuspendPartner, uow: PartnersUnitOfWork, clock) -> None:
    _change(uow, cmd.partner_id, lambda partner: partner.suspend(cmd.reason, clock()))


@HANDLERS.command(commands.ReactivatePartner)
def reactivate_partner(cmd: commands.ReactivatePartner, uow: PartnersUnitOfWork, clock) -> None:
    _change(uow, cmd.partner_id, lambda partner: partner.reactivate(clock()))


@HANDLERS.command(commands.ChangePayoutMethod)
def change_payout_method(cmd: commands.ChangePayoutMethod, uow: PartnersUnitOfWork, clock) -> None:
    method = PayoutMethod.from_dict(cmd.payout_method)
    _change(uow, cmd.partner_id, lambda partner: partner.change_payout_method(method, clock()))


@HANDLERS.query(queries.GetPartner)
def get_partner(query: queries.GetPartner, uow: PartnersUnitOfWork) -> dict:
    with uow.read() as conn:
        partner = views.partner(conn, query.partner_id)
    if partner is None:
        raise NotFound(f"Partner {query.partner_id} does not exist.",
                       {"partner_id": ["Unknown."]})
    return partner


@HANDLERS.query(queries.ListPartners)
def list_partners(query: queries.ListPartners, uow: PartnersUnitOfWork) -> dict:
    with uow.read() as conn:
        return views.partners_page(conn, query)
