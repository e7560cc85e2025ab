"""Campaigns use cases: one small function each.

Injected by name: ``uow``; ``clock`` (now, UTC); ``new_code`` (a fresh referral code);
``public_base_url`` (tracking links are ``<public_base_url>/r/<code>``).
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from common.seedwork.application.bus import HandlerRegistry
from common.seedwork.errors import Conflict, NotFound
from services.campaigns.application import commands, queries, views
from services.campaigns.application.ports import (
    CampaignsUnitOfWork,
    DuplicateEnrollment,
    ReferralCodeTaken,
)
from services.campaigns.domain import errors
from services.campaigns.domain.brand import Brand
from services.campaigns.domain.campaign import CLOSED, Admission, Campaign, CampaignDraft
from services.campaigns.domain.enrollment import Enrollment
from services.campaigns.domain.partner import Eligibility, PartnerFacts, PartnerReplica
from services.campaigns.domain.terms import TermsSpec

HANDLERS = HandlerRegistry()
log = logging.getLogger(__name__)
CODE_ATTEMPTS = 5  # a collision among ~8e14 codes is rare; five in a row means a bug


def _not_found(kind: str, field: str, value: str) -> NotFound:
    return NotFound(f"{kind} {value} does not exist.", {field: ["Unknown."]})


def _campaign(uow: CampaignsUnitOfWork, campaign_id: str, *, for_update: bool = False) -> Campaign:
    campaign = uow.campaigns.get(campaign_id, for_update=for_update)
    if campaign is None:
        raise _not_found("Campaign", "campaign_id", campaign_id)
    return campaign


# --- brands -------------------------------------------------------------------------------
@HANDLERS.command(commands.RegisterBrand)
def register_brand(cmd: commands.RegisterBrand, uow: CampaignsUnitOfWork, clock) -> str:
    with uow:
        brand = Brand.register(name=cmd.name, currency=cmd.currency, now=clock())
        uow.brands.add(brand)
        uow.commit()
    return brand.id


# --- campaigns ----------------------------------------------------------------------------
@HANDLERS.command(commands.CreateCampaign)
def create_campaign(cmd: commands.CreateCampaign, uow: CampaignsUnitOfWork, clock) -> str:
    draft = CampaignDraft(
        name=cmd.name, description=cmd.description, currency=cmd.currency, budget=cmd.budget,
        starts_at=cmd.starts_at, ends_at=cmd.ends_at, landing_url=cmd.landing_url,
        eligibility=Eligibility.of(**(cmd.eligibility or {})), terms=TermsSpec(**cmd.terms),
        admission=Admission(cmd.admission))
    with uow:
        brand = uow.brands.get(cmd.brand_id)
        if brand is None:
            raise _not_found("Brand", "brand_id", cmd.brand_id)
        campaign = Campaign.create(brand, draft, clock())
        uow.campaigns.add(campaign)
        uow.commit()
    return campaign.id


def _change_campaign(uow: CampaignsUnitOfWork, cmd: commands.CampaignCommand,
                     change: Callable[[Campaign], object]) -> None:
    with uow:
        campaign = _campaign(uow, cmd.campaign_id, for_update=True)
        campaign.ensure_owned_by(cmd.acting_brand_id)
        was_closed = campaign.status in CLOSED
        change(campaign)
        if campaign.pending_events:  # a repeated transition changes nothing
            uow.campaigns.save(campaign)
            if not was_closed:
                _close_applications(uow, campaign)
            uow.commit()


def _close_applications(uow: CampaignsUnitOfWork, campaign: Campaign) -> None:
    """A campaign that has just closed declines, in the transaction that closes it, the
    applications still waiting for its brand (saying why): none waits forever."""
    if campaign.status not in CLOSED:
        return
    for application in uow.enrollments.waiting_in(campaign.id):
        application.close_with(campaign, campaign.updated_at)
        uow.enrollments.save(application)


@HANDLERS.command(commands.ActivateCampaign)
def activate_campaign(cmd: commands.ActivateCampaign, uow: CampaignsUnitOfWork, clock) -> None:
    _change_campaign(uow, cmd, lambda campaign: campaign.activate(clock()))


@HANDLERS.command(commands.PauseCampaign)
def pause_campaign(cmd: commands.PauseCampaign, uow: CampaignsUnitOfWork, clock) -> None:
    _change_campaign(uow, cmd, lambda campaign: campaign.pause(clock()))


@HANDLERS.command(commands.EndCampaign)
def end_campaign(cmd: commands.EndCampaign, uow: CampaignsUnitOfWork, clock) -> None:
    _change_campaign(uow, cmd, lambda campaign: campaign.end(clock()))


@HANDLERS.command(commands.EndExpiredCampaigns)
def end_expired_campaigns(cmd: commands.EndExpiredCampaigns, uow: CampaignsUnitOfWork,
                          clock) -> int:
    """Each expired campaign ends in its own transaction (one failure stops no other);
    a campaign a brand changed meanwhile is checked again under its row lock."""
    with uow.peek():
        expired = uow.campaigns.expired(clock(), cmd.limit)
    ended = 0
    for campaign_id in expired:
        with uow:
            campaign = _campaign(uow, campaign_id, for_update=True)
            if campaign.end_if_expired(clock()):
                uow.campaigns.save(campaign)
                _close_applications(uow, campaign)
                uow.commit()
                ended += 1
    return ended


@HANDLERS.command(commands.CancelCampaign)
def cancel_campaign(cmd: commands.CancelCampaign, uow: CampaignsUnitOfWork, clock) -> None:
    _change_campaign(uow, cmd, lambda campaign: campaign.cancel(clock()))


@HANDLERS.command(commands.ChangeTerms)
def change_terms(cmd: commands.ChangeTerms, uow: CampaignsUnitOfWork, clock) -> None:
    spec = TermsSpec(**cmd.terms)
    _change_campaign(uow, cmd, lambda campaign: campaign.change_terms(
        spec, cmd.effective_from, clock()))


@HANDLERS.command(commands.ChangeAdmission)
def change_admission(cmd: commands.ChangeAdmission, uow: CampaignsUnitOfWork, clock) -> None:
    _change_campaign(uow, cmd, lambda campaign: campaign.change_admission(
        Admission(cmd.admission), clock()))


@HANDLERS.command(commands.ChangeBudget)
def change_budget(cmd: commands.ChangeBudget, uow: CampaignsUnitOfWork, clock) -> None:
    _change_campaign(uow, cmd, lambda campaign: campaign.change_budget(cmd.budget, clock()))


# --- enrollment ---------------------------------------------------------------------------
@HANDLERS.command(commands.EnrollPartner)
def enroll_partner(cmd: commands.EnrollPartner, uow: CampaignsUnitOfWork, clock, new_code,
                   public_base_url) -> str:
    with uow:
        campaign = _campaign(uow, cmd.campaign_id)
        # Locked like the partner's events lock it: a suspension can't slip past an enrollment.
        partner = uow.partners.get(cmd.partner_id, for_update=True)
        existing = uow.enrollments.get_for(cmd.campaign_id, cmd.partner_id)
        if existing is not None:  # one enrollment per partner and campaign
            return _join_again(uow, existing, campaign, partner, clock(), cmd.note)
        if partner is None:  # unknown, or PENDING: partners are known from activation on
            raise NotFound(f"No active partner {cmd.partner_id} is known here (a partner "
                           "can enroll once activated).",
                           {"partner_id": ["Unknown, or not activated yet."]})
        try:
            enrollment = _enroll_with_a_fresh_code(uow, campaign, partner, clock(), new_code,
                                                   public_base_url, cmd.note)
        except DuplicateEnrollment:  # a concurrent call enrolled it first
            return uow.enrollments.get_for(cmd.campaign_id, cmd.partner_id).id
        uow.commit()
    return enrollment.id


def _join_again(uow: CampaignsUnitOfWork, enrollment: Enrollment, campaign, partner, now,
                note) -> str:
    """A withdrawn application reopens and a partner who left rejoins; any other
    enrollment is answered as it is."""
    if not enrollment.partner_may_return:
        return enrollment.id
    if partner is None:
        raise errors.PartnerNotActive("The partner is not ACTIVE: it cannot join again.",
                                      {"partner_id": ["Not ACTIVE."]})
    enrollment = uow.enrollments.get(enrollment.id, for_update=True)
    enrollment.join_again(campaign=campaign, partner=partner, now=now, note=note)
    uow.enrollments.save(enrollment)
    uow.commit()
    return enrollment.id


def _enroll_with_a_fresh_code(uow: CampaignsUnitOfWork, campaign, partner, now, new_code,
                              public_base_url, note) -> Enrollment:
    for _ in range(CODE_ATTEMPTS):
        enrollment = Enrollment.enroll(campaign=campaign, partner=partner,
                                       referral_code=new_code(),
                                       public_base_url=public_base_url, now=now, note=note)
        try:
            uow.enrollments.add(enrollment)
            return enrollment
        except ReferralCodeTaken:
            continue
    raise Conflict("Could not allocate a unique referral code; retry.",
                   {"referral_code": ["Collided repeatedly."]})


@HANDLERS.command(commands.ApproveEnrollment)
def approve_enrollment(cmd: commands.ApproveEnrollment, uow: CampaignsUnitOfWork,
                       clock) -> None:
    _brand_changes_enrollment(uow, cmd, lambda enrollment, partner: enrollment.approve(
        campaign=_campaign(uow, enrollment.campaign_id), partner=partner, now=clock()))


@HANDLERS.command(commands.DeclineEnrollment)
def decline_enrollment(cmd: commands.DeclineEnrollment, uow: CampaignsUnitOfWork,
                       clock) -> None:
    _brand_changes_enrollment(uow, cmd, lambda enrollment, partner: enrollment.decline(
        _campaign(uow, enrollment.campaign_id), clock(), cmd.reason))


@HANDLERS.command(commands.WithdrawApplication)
def withdraw_application(cmd: commands.WithdrawApplication, uow: CampaignsUnitOfWork,
                         clock) -> None:
    _change_enrollment(uow, cmd.enrollment_id, lambda enrollment, partner: enrollment.withdraw(
        cmd.acting_partner_id, _campaign(uow, enrollment.campaign_id), clock()))


@HANDLERS.command(commands.LeaveCampaign)
def leave_campaign(cmd: commands.LeaveCampaign, uow: CampaignsUnitOfWork, clock) -> None:
    _change_enrollment(uow, cmd.enrollment_id, lambda enrollment, partner: enrollment.leave(
        cmd.acting_partner_id, clock()))


@HANDLERS.command(commands.SuspendEnrollment)
def suspend_enrollment(cmd: commands.SuspendEnrollment, uow: CampaignsUnitOfWork,
                       clock) -> None:
    _brand_changes_enrollment(uow, cmd, lambda enrollment, partner: enrollment.suspend_by_brand(
        _campaign(uow, enrollment.campaign_id), clock(), cmd.note))


@HANDLERS.command(commands.ReactivateEnrollment)
def reactivate_enrollment(cmd: commands.ReactivateEnrollment, uow: CampaignsUnitOfWork,
                          clock) -> None:
    _brand_changes_enrollment(uow, cmd, lambda enrollment, partner: (
        enrollment.reactivate_by_brand(partner, _campaign(uow, enrollment.campaign_id),
                                       clock())))


@HANDLERS.command(commands.SetPartnerCommission)
def set_partner_commission(cmd: commands.SetPartnerCommission, uow: CampaignsUnitOfWork,
                           clock) -> None:
    def change(enrollment, partner) -> None:
        campaign = _campaign(uow, enrollment.campaign_id)
        figures = (campaign.partner_commission(**cmd.commission)
                   if cmd.commission is not None else None)
        enrollment.set_commission(figures, campaign, clock())

    _brand_changes_enrollment(uow, cmd, change)


@HANDLERS.command(commands.ChangeReferralCode)
def change_referral_code(cmd: commands.ChangeReferralCode, uow: CampaignsUnitOfWork,
                         clock) -> None:
    """A free code only: another link's is a Conflict on ``code`` (two racing for one
    code: the unique index lets one win and the other is answered the same)."""
    def check(enrollment) -> None:
        if cmd.acting_brand_id is not None:
            enrollment.ensure_owned_by(cmd.acting_brand_id)
        else:
            enrollment.ensure_partner(cmd.acting_partner_id, "change its link's code")

    def change(enrollment, partner) -> None:
        holder = uow.enrollments.holding_code(cmd.code)
        if holder is not None and holder != enrollment.id:
            raise _code_taken()
        enrollment.change_code(cmd.code, changed_by="brand" if cmd.acting_brand_id else "partner",
                               campaign=_campaign(uow, enrollment.campaign_id), now=clock())

    try:
        _change_enrollment(uow, cmd.enrollment_id, change, check=check)
    except ReferralCodeTaken:
        raise _code_taken() from None


def _code_taken() -> Conflict:
    return Conflict("Another link already has this code.",
                    {"code": ["Already taken: choose another."]})


def _brand_changes_enrollment(uow: CampaignsUnitOfWork, cmd: commands.BrandEnrollmentCommand,
                              change) -> None:
    """``change(enrollment, partner)``, by the brand of the enrollment's campaign only."""
    _change_enrollment(uow, cmd.enrollment_id, change,
                       check=lambda enrollment: enrollment.ensure_owned_by(cmd.acting_brand_id))


def _change_enrollment(uow: CampaignsUnitOfWork, enrollment_id: str, change,
                       check=lambda enrollment: None) -> None:
    """``change(enrollment, partner)`` under the partner's lock, as its events take it: a
    partner's suspension, the brand's decisions and the partner's own steps (the domain
    checks the acting partner is the enrollment's) never interleave."""
    with uow:
        enrollment = uow.enrollments.get(enrollment_id)
        if enrollment is None:
            raise _not_found("Enrollment", "enrollment_id", enrollment_id)
        check(enrollment)
        partner = uow.partners.get(enrollment.partner_id, for_update=True)
        enrollment = uow.enrollments.get(enrollment_id, for_update=True)
        before = (enrollment.status, enrollment.suspension_reason)
        change(enrollment, partner)
        if enrollment.pending_events or (
                enrollment.status, enrollment.suspension_reason) != before:
            uow.enrollments.save(enrollment)  # the reason alone may change: no event
        uow.commit()


@HANDLERS.command(commands.ApplyPartnerSnapshot)
def apply_partner_snapshot(cmd: commands.ApplyPartnerSnapshot, uow: CampaignsUnitOfWork,
                           clock) -> None:
    facts = PartnerFacts(partner_id=cmd.partner_id, type=cmd.type, country=cmd.country,
                         status=cmd.status, revision=cmd.revision)
    now = clock()
    with uow:
        partner = uow.partners.get(facts.partner_id, for_update=True)
        if partner is None:
            partner = PartnerReplica.from_facts(facts, now)
            uow.partners.add(partner)
        elif partner.apply(facts, now):
            uow.partners.save(partner)
        else:
            uow.commit()  # an old or repeated snapshot: only the inbox records it
            return
        for enrollment in uow.enrollments.of_partner(partner.id):
            enrollment.follow(partner, now)
            if enrollment.pending_events:
                uow.enrollments.save(enrollment)
        uow.commit()


# --- budget (reported by commissions) ---------------------------------------------------
@HANDLERS.command(commands.NoteBudgetExhausted)
def note_budget_exhausted(cmd: commands.NoteBudgetExhausted, uow: CampaignsUnitOfWork,
                          clock) -> None:
    _budget_news(uow, cmd.campaign_id, lambda campaign: campaign.budget_ran_out(
        reserved=cmd.reserved, remaining=cmd.remaining, now=clock()))


@HANDLERS.command(commands.NoteBudgetAvailable)
def note_budget_available(cmd: commands.NoteBudgetAvailable, uow: CampaignsUnitOfWork,
                          clock) -> None:
    _budget_news(uow, cmd.campaign_id, lambda campaign: campaign.budget_has_room(clock()))


def _budget_news(uow: CampaignsUnitOfWork, campaign_id: str, apply) -> None:
    """News about a campaign this service does not have changes nothing (no retry can
    make it known: campaigns is where campaigns are made)."""
    with uow:
        campaign = uow.campaigns.get(campaign_id, for_update=True)
        if campaign is None:
            log.warning("budget news about unknown campaign %s ignored", campaign_id)
            return
        apply(campaign)
        uow.campaigns.save(campaign)
        uow.commit()


# --- queries ------------------------------------------------------------------------------
def _found(value, kind: str, field: str, key: str):
    if value is None:
        raise _not_found(kind, field, key)
    return value


@HANDLERS.query(queries.GetBrand)
def get_brand(query: queries.GetBrand, uow: CampaignsUnitOfWork) -> dict:
    with uow.read() as conn:
        return _found(views.brand(conn, query.brand_id), "Brand", "brand_id", query.brand_id)


@HANDLERS.query(queries.ListBrands)
def list_brands(query: queries.ListBrands, uow: CampaignsUnitOfWork) -> dict:
    with uow.read() as conn:
        return views.brands_page(conn, query)


@HANDLERS.query(queries.GetCampaign)
def get_campaign(query: queries.GetCampaign, uow: CampaignsUnitOfWork, clock) -> dict:
    with uow.read() as conn:
        return _found(views.campaign(conn, query.campaign_id, clock()), "Campaign",
                      "campaign_id", query.campaign_id)


@HANDLERS.query(queries.ListCampaigns)
def list_campaigns(query: queries.ListCampaigns, uow: CampaignsUnitOfWork, clock) -> dict:
    with uow.read() as conn:
        return views.campaigns_page(conn, query, clock())


@HANDLERS.query(queries.GetEnrollment)
def get_enrollment(query: queries.GetEnrollment, uow: CampaignsUnitOfWork) -> dict:
    with uow.read() as conn:
        return _found(views.enrollment(conn, query.enrollment_id), "Enrollment",
                      "enrollment_id", query.enrollment_id)


@HANDLERS.query(queries.ListEnrollments)
def list_enrollments(query: queries.ListEnrollments, uow: CampaignsUnitOfWork) -> dict:
    with uow.read() as conn:
        return views.enrollments_page(conn, query)


@HANDLERS.query(queries.ResolveReferralCode)
def resolve_referral_code(query: queries.ResolveReferralCode, uow: CampaignsUnitOfWork) -> dict:
    with uow.read() as conn:
        return _found(views.referral(conn, query.code), "Referral code", "code", query.code)
