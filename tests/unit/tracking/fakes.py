"""In-memory implementations of the tracking ports (services/tracking/application/ports.py)."""
from __future__ import annotations

from collections import Counter, defaultdict

from common.seedwork.application.unit_of_work import AbstractRepository
from common.seedwork.infrastructure.memory import InMemoryRepository, InMemoryUnitOfWork
from services.tracking.application.integration_events import TRANSLATOR
from services.tracking.application.projections import DailyTally
from services.tracking.domain.attribution import ATTRIBUTED, CustomerReferral
from services.tracking.domain.clicks import ClickTrace
from services.tracking.domain.conversion import DuplicateOrder
from services.tracking.domain.references import ReferralTarget
from services.tracking.domain.stats import DailyStatsRow
from services.tracking.domain.terms import FiguresHistory, TermsHistory


class FakeReferences(AbstractRepository):
    def __init__(self):
        super().__init__()
        self.campaigns: dict = {}      # id -> (CampaignRef, revision)
        self.terms: dict = defaultdict(dict)  # campaign id -> {version: TermsVersion}
        self.enrollments: dict = {}    # id -> (EnrollmentRef, revision)
        self.partners: dict = {}       # id -> (PartnerRef, revision)
        self.ips: dict = defaultdict(set)
        self.figures: dict = defaultdict(dict)  # enrollment id -> {revision: PartnerFigures}
        self.retired: dict = {}        # code -> enrollment id

    def add_target(self, target: ReferralTarget) -> ReferralTarget:
        self.replicate_campaign(target.campaign, 1, None)
        self.add_terms(target.campaign.campaign_id, target.terms.versions)
        self.replicate_enrollment(target.enrollment, 1, None)
        if target.partner:
            self.replicate_partner(target.partner, 1, None)
        return target

    def targets_by_code(self, codes):
        codes = set(codes)
        found = [self._target(e) for e, _ in self.enrollments.values() if e.referral_code in codes]
        return {t.enrollment.referral_code: t for t in found if t}

    def targets_by_retired_code(self, codes):
        found = {code: self.target_by_enrollment(self.retired[code])
                 for code in codes if code in self.retired}
        return {code: target for code, target in found.items() if target}

    def target_by_enrollment(self, enrollment_id):
        held = self.enrollments.get(enrollment_id)
        return self._target(held[0]) if held else None

    def _target(self, enrollment):
        held = self.campaigns.get(enrollment.campaign_id)
        if held is None:
            return None
        partner = self.partners.get(enrollment.partner_id)
        return ReferralTarget(enrollment=enrollment, campaign=held[0],
                              partner=partner[0] if partner else None,
                              terms=TermsHistory(self.terms[enrollment.campaign_id].values()),
                              figures=FiguresHistory(
                                  self.figures[enrollment.enrollment_id].values()))

    def terms_histories(self, campaign_ids):
        return {c: TermsHistory(self.terms[c].values()) for c in campaign_ids if self.terms[c]}

    def partner_ips(self, partner_id):
        return set(self.ips[partner_id])

    def add_partner_ip(self, partner_id, ip, now):
        self.ips[partner_id].add(ip)

    def add_terms(self, campaign_id, versions):
        for version in versions:
            self.terms[campaign_id].setdefault(version.version, version)

    def add_figures(self, enrollment_id, change):
        self.figures[enrollment_id].setdefault(change.revision, change)

    def replicate_campaign(self, campaign, revision, now):
        self._keep_newest(self.campaigns, campaign.campaign_id, campaign, revision)

    def replicate_enrollment(self, enrollment, revision, now):
        held = self.enrollments.get(enrollment.enrollment_id)
        if held is not None and held[1] < revision:
            self.retired.pop(enrollment.referral_code, None)
            if held[0].referral_code != enrollment.referral_code:
                self.retired[held[0].referral_code] = enrollment.enrollment_id
        self._keep_newest(self.enrollments, enrollment.enrollment_id, enrollment, revision)

    def replicate_partner(self, partner, revision, now):
        self._keep_newest(self.partners, partner.partner_id, partner, revision)

    @staticmethod
    def _keep_newest(table, key, value, revision):
        if key not in table or table[key][1] < revision:
            table[key] = (value, revision)


class FakeClicks(AbstractRepository):
    def __init__(self):
        super().__init__()
        self.clicks: dict = {}
        self.parked_clicks: dict = {}
        self.counters: Counter = Counter()

    def count_for_flooding(self, batch):
        self.counters.update(batch)
        return {key: self.counters[key] for key in batch}

    def add(self, clicks):
        self.clicks.update({click.click_id: click for click in clicks})

    def known_ids(self, click_ids):
        return {i for i in click_ids if i in self.clicks or i in self.parked_clicks}

    def park(self, requests, now):
        for request in requests:
            self.parked_clicks.setdefault(request.click_id, request)

    def parked(self, limit):
        return sorted(self.parked_clicks.values(), key=lambda r: r.occurred_at)[:limit]

    def unpark(self, click_ids):
        for click_id in click_ids:
            self.parked_clicks.pop(click_id, None)

    def get(self, click_id):
        click = self.clicks.get(click_id)
        return _trace(click) if click else None

    def latest_from_ip(self, brand_id, ip, since, until):
        matching = [c for c in self.clicks.values()
                    if c.brand_id == brand_id and c.ip == ip and since <= c.occurred_at <= until]
        latest = max(matching, key=lambda c: c.occurred_at, default=None)
        return _trace(latest) if latest else None

    def purge_older_than(self, before, limit):
        """As the SQL one, where no click is ever in a CPC batch (the fake does not bill):
        a billable click stays."""
        old = sorted(i for i, c in self.clicks.items()
                     if c.occurred_at < before and not c.billable)[:limit]
        for click_id in old:
            del self.clicks[click_id]
        return len(old)

    def purge_flood_counts(self, before):
        old = [key for key in self.counters if key[2] < before]
        for key in old:
            del self.counters[key]
        return len(old)


def _trace(click) -> ClickTrace:
    return ClickTrace(click_id=click.click_id, enrollment_id=click.enrollment_id,
                      brand_id=click.brand_id, ip=click.ip, occurred_at=click.occurred_at,
                      reason=click.reason)


class FakeConversions(InMemoryRepository):
    def add(self, conversion):
        if self.get_by_order(conversion.brand_id, conversion.order_id):
            raise DuplicateOrder()
        super().add(conversion)

    def get_by_order(self, brand_id, order_id, *, for_update=False):
        return self.first(lambda c: (c.brand_id, c.order_id) == (brand_id, order_id))

    def customer_referral(self, brand_id, customer_id, until):
        orders = sorted(self.find(lambda c: (c.brand_id, c.customer_id, c.status) == (
            brand_id, customer_id, ATTRIBUTED) and c.occurred_at <= until),
            key=lambda c: (c.occurred_at, c.recorded_at))
        return CustomerReferral(enrollment_id=orders[0].enrollment_id,
                                since=orders[0].occurred_at) if orders else None


class FakeStats(AbstractRepository):
    """Rows by (campaign, partner, day), each with its revision; ``marked``: changed
    since last published. ``references``: the campaigns' brand and currency."""

    def __init__(self, references: FakeReferences | None = None):
        super().__init__()
        self.rows: dict = defaultdict(DailyTally)
        self.revisions: Counter = Counter()
        self.marked: set = set()
        self.references = references or FakeReferences()

    def add(self, tallies):
        for key, tally in tallies.items():
            self.rows[key] += tally
            self.revisions[key] += 1
            self.marked.add(key)

    def any_changed(self):
        return bool(self.marked)

    def changed(self, limit):
        rows = []
        for key in sorted(self.marked)[:limit]:
            campaign_id, partner_id, day = key
            campaign, tally = self.references.campaigns[campaign_id][0], self.rows[key]
            rows.append(DailyStatsRow(
                partner_id=partner_id, campaign_id=campaign_id, brand_id=campaign.brand_id,
                day=day, clicks=tally.clicks, valid_clicks=tally.valid_clicks,
                conversions=tally.conversions, rejected_conversions=tally.rejected,
                revenue=tally.revenue, currency=campaign.currency,
                revision=self.revisions[key]))
        return rows

    def publish(self, snapshot):
        for row in snapshot.rows:
            key = (row.campaign_id, row.partner_id, row.day)
            if self.revisions[key] == row.revision:
                self.marked.discard(key)
        self._track(snapshot)


def fake_uow() -> InMemoryUnitOfWork:
    references = FakeReferences()
    return InMemoryUnitOfWork(translator=TRANSLATOR, references=references,
                              clicks=FakeClicks(), conversions=FakeConversions(),
                              stats=FakeStats(references))
