"""Replicas of campaigns, terms, enrollments and partners; partners' own IPs.

Replica upserts are conditional (``ON CONFLICT ... DO UPDATE ... WHERE revision <
excluded.revision``): atomic, so two events about one campaign handled at once can
never let the older revision win.

Reads go through the process's ``ReplicaCache`` (``replica_cache.py`` says why it is
never stale): the first look-up of a transaction reads the replicas' generations, and
what was read under the same generation is not read again. Every write first raises its
kind's generation -- before any replica row, so writers of one kind queue on that one
row and never lock rows in two orders.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.engine import Connection

from common.seedwork.application.unit_of_work import AbstractRepository
from services.tracking.domain.references import (
    CampaignRef,
    EnrollmentRef,
    PartnerRef,
    ReferralTarget,
)
from services.tracking.domain.terms import (
    NO_FIGURES,
    FiguresHistory,
    PartnerFigures,
    TermsHistory,
    TermsVersion,
)
from services.tracking.infrastructure.replica_cache import MISSING, ReplicaCache
from services.tracking.infrastructure.sql import upsert
from services.tracking.infrastructure.tables import (
    campaign_terms,
    campaigns,
    enrollment_figures,
    enrollments,
    partner_ips,
    partners,
    replica_generations,
    retired_codes,
)

TARGETS, PARTNER_IPS = "targets", "partner_ips"  # the kinds of replica, one generation each

_TARGETS = (
    select(enrollments.c.id.label("enrollment_id"), enrollments.c.referral_code,
           enrollments.c.campaign_id, enrollments.c.brand_id, enrollments.c.partner_id,
           enrollments.c.status.label("enrollment_status"),
           campaigns.c.status.label("campaign_status"), campaigns.c.currency,
           campaigns.c.landing_url, campaigns.c.starts_at, campaigns.c.ends_at,
           partners.c.email.label("partner_email"),
           partners.c.status.label("partner_status"))
    .join(campaigns, campaigns.c.id == enrollments.c.campaign_id)
    .outerjoin(partners, partners.c.id == enrollments.c.partner_id))
# built once: the hot path only binds values (SQLAlchemy reuses the compiled form)
TARGETS_BY_CODE = _TARGETS.where(
    enrollments.c.referral_code.in_(bindparam("codes", expanding=True)))
TARGET_BY_ENROLLMENT = _TARGETS.where(enrollments.c.id == bindparam("enrollment_id"))
TERMS_OF_CAMPAIGNS = select(campaign_terms).where(
    campaign_terms.c.campaign_id.in_(bindparam("campaign_ids", expanding=True)))
FIGURES_OF_ENROLLMENTS = select(enrollment_figures).where(
    enrollment_figures.c.enrollment_id.in_(bindparam("enrollment_ids", expanding=True)))
RETIRED = select(retired_codes.c.referral_code, retired_codes.c.enrollment_id).where(
    retired_codes.c.referral_code.in_(bindparam("codes", expanding=True)))
CODE_OF_ENROLLMENT = select(enrollments.c.referral_code, enrollments.c.revision).where(
    enrollments.c.id == bindparam("enrollment_id"))
IPS_OF_PARTNER = select(partner_ips.c.ip).where(partner_ips.c.partner_id == bindparam("partner_id"))
GENERATIONS = select(replica_generations.c.name, replica_generations.c.generation)


class SqlReferences(AbstractRepository):
    def __init__(self, connection: Connection, cache: ReplicaCache | None = None):
        super().__init__()
        self.connection = connection
        self._cache = cache if cache is not None else ReplicaCache()
        self._generations: dict[str, int] | None = None  # as this transaction read them
        self._raised: set[str] = set()  # kinds this transaction wrote: cache off for it

    # reading -----------------------------------------------------------------------------
    def targets_by_code(self, codes: Iterable[str]) -> dict[str, ReferralTarget]:
        found, wanted = {}, []
        for code in dict.fromkeys(codes):
            target = self._cached(TARGETS, ("code", code))
            if target is MISSING:
                wanted.append(code)
            elif target is not None:
                found[code] = target
        if wanted:
            read = {target.enrollment.referral_code: target
                    for target in self._targets(TARGETS_BY_CODE, {"codes": wanted})}
            for code in wanted:
                self._keep(TARGETS, ("code", code), read.get(code))
            found.update(read)
        return found

    def target_by_enrollment(self, enrollment_id: str) -> ReferralTarget | None:
        target = self._cached(TARGETS, ("enrollment", enrollment_id))
        if target is MISSING:
            found = self._targets(TARGET_BY_ENROLLMENT, {"enrollment_id": enrollment_id})
            target = found[0] if found else None
            self._keep(TARGETS, ("enrollment", enrollment_id), target)
        return target

    def _targets(self, query, params: dict) -> list[ReferralTarget]:
        rows = self.connection.execute(query, params).all()
        histories = self.terms_histories({row.campaign_id for row in rows})
        figures = self._figures({row.enrollment_id for row in rows})
        return [_target(row, histories.get(row.campaign_id, TermsHistory()),
                        figures.get(row.enrollment_id, NO_FIGURES)) for row in rows]

    def _figures(self, enrollment_ids: set[str]) -> dict[str, FiguresHistory]:
        if not enrollment_ids:
            return {}
        changes: dict[str, list[PartnerFigures]] = defaultdict(list)
        for row in self.connection.execute(FIGURES_OF_ENROLLMENTS,
                                           {"enrollment_ids": list(enrollment_ids)}):
            changes[row.enrollment_id].append(PartnerFigures(
                revision=row.revision, effective_from=row.effective_from, figures=row.figures))
        return {enrollment_id: FiguresHistory(found) for enrollment_id, found in changes.items()}

    def terms_histories(self, campaign_ids: Iterable[str]) -> dict[str, TermsHistory]:
        campaign_ids = list(campaign_ids)
        if not campaign_ids:
            return {}
        versions: dict[str, list[TermsVersion]] = defaultdict(list)
        for row in self.connection.execute(TERMS_OF_CAMPAIGNS, {"campaign_ids": campaign_ids}):
            versions[row.campaign_id].append(TermsVersion(
                version=row.terms_version, model=row.model,
                attribution_window_days=row.attribution_window_days,
                effective_from=row.effective_from, snapshot=row.terms))
        return {campaign_id: TermsHistory(found) for campaign_id, found in versions.items()}

    def partner_ips(self, partner_id: str) -> frozenset[str]:
        ips = self._cached(PARTNER_IPS, partner_id)
        if ips is MISSING:
            ips = frozenset(self.connection.execute(
                IPS_OF_PARTNER, {"partner_id": partner_id}).scalars())
            self._keep(PARTNER_IPS, partner_id, ips)
        return ips

    # the cache ---------------------------------------------------------------------------
    def _cached(self, kind: str, key):
        if kind in self._raised:
            return MISSING
        return self._cache.get(kind, self._generation(kind), key)

    def _keep(self, kind: str, key, value) -> None:
        if kind not in self._raised:
            self._cache.put(kind, self._generation(kind), key, value)

    def _generation(self, kind: str) -> int:
        if self._generations is None:  # once per transaction, before any replica row
            self._generations = dict(self.connection.execute(GENERATIONS).all())
        return self._generations.get(kind, 0)

    def _raise_generation(self, kind: str) -> None:
        """Before the transaction's first write to a kind of replica: its generation + 1."""
        if kind in self._raised:
            return
        self._raised.add(kind)
        stmt = upsert(self.connection, replica_generations).values(name=kind, generation=1)
        self.connection.execute(stmt.on_conflict_do_update(
            index_elements=[replica_generations.c.name],
            set_={"generation": replica_generations.c.generation + 1}))

    # writing -----------------------------------------------------------------------------
    def add_partner_ip(self, partner_id: str, ip: str, now: datetime) -> None:
        self._raise_generation(PARTNER_IPS)
        stmt = upsert(self.connection, partner_ips).values(
            partner_id=partner_id, ip=ip, first_seen_at=now, last_seen_at=now)
        self.connection.execute(stmt.on_conflict_do_update(
            index_elements=[partner_ips.c.partner_id, partner_ips.c.ip],
            set_={"last_seen_at": stmt.excluded.last_seen_at}))

    def add_terms(self, campaign_id: str, versions: Iterable[TermsVersion]) -> None:
        rows = [{"campaign_id": campaign_id, "terms_version": v.version, "model": v.model,
                 "attribution_window_days": v.attribution_window_days,
                 "effective_from": v.effective_from, "terms": v.snapshot} for v in versions]
        if rows:  # a terms version never changes once published
            self._raise_generation(TARGETS)
            self.connection.execute(upsert(self.connection, campaign_terms).on_conflict_do_nothing(
                index_elements=[campaign_terms.c.campaign_id, campaign_terms.c.terms_version]),
                rows)

    def add_figures(self, enrollment_id: str, change: PartnerFigures) -> None:
        """One change of a partner's own commission (kept once per enrollment revision)."""
        self._raise_generation(TARGETS)
        self.connection.execute(upsert(self.connection, enrollment_figures).values(
            enrollment_id=enrollment_id, revision=change.revision,
            effective_from=change.effective_from, figures=change.figures,
        ).on_conflict_do_nothing(index_elements=[enrollment_figures.c.enrollment_id,
                                                 enrollment_figures.c.revision]))

    def replicate_campaign(self, campaign: CampaignRef, revision: int, now: datetime) -> None:
        self._keep_newest(campaigns, {
            "id": campaign.campaign_id, "brand_id": campaign.brand_id,
            "status": campaign.status, "currency": campaign.currency,
            "landing_url": campaign.landing_url, "starts_at": campaign.starts_at,
            "ends_at": campaign.ends_at, "revision": revision, "updated_at": now})

    def targets_by_retired_code(self, codes: Iterable[str]) -> dict[str, ReferralTarget]:
        """The links that had these codes before choosing others, by those codes (never
        cached: asked only of codes no link has now)."""
        found = {}
        for row in self.connection.execute(RETIRED, {"codes": list(dict.fromkeys(codes))}):
            target = self.target_by_enrollment(row.enrollment_id)
            if target is not None:
                found[row.referral_code] = target
        return found

    def replicate_enrollment(self, enrollment: EnrollmentRef, revision: int,
                             now: datetime) -> None:
        self._retire_code_left(enrollment, revision, now)
        self._keep_newest(enrollments, {
            "id": enrollment.enrollment_id, "referral_code": enrollment.referral_code,
            "campaign_id": enrollment.campaign_id, "brand_id": enrollment.brand_id,
            "partner_id": enrollment.partner_id, "status": enrollment.status,
            "revision": revision, "updated_at": now})

    def _retire_code_left(self, enrollment: EnrollmentRef, revision: int,
                          now: datetime) -> None:
        """A newer revision with another code: the code the link leaves is retired; a
        code a link takes is nobody's retired code any more."""
        held = self.connection.execute(CODE_OF_ENROLLMENT,
                                       {"enrollment_id": enrollment.enrollment_id}).first()
        if held is None or held.revision >= revision:
            return
        self.connection.execute(delete(retired_codes).where(
            retired_codes.c.referral_code == enrollment.referral_code))
        if held.referral_code != enrollment.referral_code:
            stmt = upsert(self.connection, retired_codes).values(
                referral_code=held.referral_code, enrollment_id=enrollment.enrollment_id,
                retired_at=now)
            self.connection.execute(stmt.on_conflict_do_update(
                index_elements=[retired_codes.c.referral_code],
                set_={"enrollment_id": stmt.excluded.enrollment_id,
                      "retired_at": stmt.excluded.retired_at}))

    def replicate_partner(self, partner: PartnerRef, revision: int, now: datetime) -> None:
        self._keep_newest(partners, {
            "id": partner.partner_id, "email": partner.email, "status": partner.status,
            "revision": revision, "updated_at": now})

    def _keep_newest(self, table, row: dict) -> None:
        self._raise_generation(TARGETS)
        stmt = upsert(self.connection, table).values(**row)
        self.connection.execute(stmt.on_conflict_do_update(
            index_elements=[table.c.id],
            set_={name: stmt.excluded[name] for name in row if name != "id"},
            where=table.c.revision < stmt.excluded.revision))


def _target(row, terms: TermsHistory, figures: FiguresHistory) -> ReferralTarget:
    partner = None
    if row.partner_status is not None:
        partner = PartnerRef(partner_id=row.partner_id, email=row.partner_email,
                             status=row.partner_status)
    return ReferralTarget(
        enrollment=EnrollmentRef(
            enrollment_id=row.enrollment_id, referral_code=row.referral_code,
            campaign_id=row.campaign_id, brand_id=row.brand_id, partner_id=row.partner_id,
            status=row.enrollment_status),
        campaign=CampaignRef(
            campaign_id=row.campaign_id, brand_id=row.brand_id, status=row.campaign_status,
            currency=row.currency, landing_url=row.landing_url, starts_at=row.starts_at,
            ends_at=row.ends_at),
        partner=partner, terms=terms, figures=figures)
