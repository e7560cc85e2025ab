"""Tracking use cases: one small function each."""
from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from common.seedwork.application.bus import HandlerRegistry
from common.seedwork.domain.ids import time_of
from common.seedwork.domain.money import Money
from common.seedwork.errors import DomainError, Forbidden, NotFound, ValidationError
from services.tracking.application import commands, projections, queries, views
from services.tracking.application.ports import TrackingUnitOfWork
from services.tracking.application.settings import TrackingSettings
from services.tracking.domain import attribution
from services.tracking.domain.billing import batch_clicks
from services.tracking.domain.clicks import (
    AcceptedClick,
    Click,
    ClickRequest,
    accept,
    not_in_future,
    screen,
)
from services.tracking.domain.conversion import Conversion, DuplicateOrder, default_refund_id
from services.tracking.domain.fraud import FloodGate
from services.tracking.domain.references import ReferralTarget
from services.tracking.domain.stats import StatsSnapshot
from services.tracking.domain.terms import MAX_ATTRIBUTION_WINDOW, TermsHistory, TermsVersion

log = logging.getLogger(__name__)
# a click handed over by the BFF is normally recorded within milliseconds; one minted
# longer ago than this and still unknown is not in flight
IN_FLIGHT_CLICK_AGE = timedelta(minutes=10)

HANDLERS = HandlerRegistry()
Clock = Callable[[], datetime]


# --- clicks -------------------------------------------------------------------------------
@HANDLERS.command(commands.RecordClicks)
def record_clicks(cmd: commands.RecordClicks, uow: TrackingUnitOfWork, clock: Clock,
                  settings: TrackingSettings) -> list[Click | DomainError]:
    """Record a batch of clicks in one transaction; one outcome per request, in order
    (a Click, or the error that kept that one request out)."""
    now = clock()
    with uow:
        targets = uow.references.targets_by_code({r.referral_code for r in cmd.clicks})
        checked = [_accept(request, targets.get(request.referral_code), now, settings)
                   for request in cmd.clicks]
        accepted = [item for item in checked if isinstance(item, AcceptedClick)]
        if not accepted:
            return checked
        recorded = iter(_screen_and_store(uow, accepted, now, settings))
        outcomes = [next(recorded) if isinstance(item, AcceptedClick) else item
                    for item in checked]
        uow.commit()
    return outcomes


@HANDLERS.command(commands.RecordCapturedClicks)
def record_captured_clicks(cmd: commands.RecordCapturedClicks, uow: TrackingUnitOfWork,
                           clock: Clock, settings: TrackingSettings) -> list[Click]:
    """Clicks the BFF already redirected (``clicks_captured``), in one transaction: each
    recorded once -- an id already stored (recorded or parked) is skipped, so a message
    delivered twice changes nothing -- and screened like ``record_clicks`` (flooding
    counters, statuses, terms at its own time). The visitor has been sent on already, so
    nothing is refused: a time ahead of this clock (the BFF's is off) is taken as now, and
    a code whose enrollment has not reached this replica yet is parked until it does
    (``_unpark``); one on a code its link has left since (a BFF instance had not heard
    of the change) is recorded against that link. Returns the clicks recorded."""
    now = clock()
    with uow:
        stored = uow.clicks.known_ids([r.click_id for r in cmd.clicks])
        fresh = list({r.click_id: r for r in cmd.clicks if r.click_id not in stored}.values())
        targets = uow.references.targets_by_code({r.referral_code for r in fresh})
        if len(targets) < len({r.referral_code for r in fresh}):  # a previous code?
            targets.update(uow.references.targets_by_retired_code(
                {r.referral_code for r in fresh if r.referral_code not in targets}))
        waiting = [r for r in fresh if r.referral_code not in targets]
        if waiting:
            uow.clicks.park(waiting, now)
            log.warning("%d click(s) parked: referral code(s) %s not replicated yet",
                        len(waiting), ", ".join(sorted({r.referral_code for r in waiting})))
        clicks = _screen_and_store(uow, [_captured(r, targets[r.referral_code], now)
                                         for r in fresh if r.referral_code in targets],
                                   now, settings)
        uow.commit()
    return clicks


def _captured(request: ClickRequest, target: ReferralTarget, now: datetime) -> AcceptedClick:
    occurred_at = min(request.occurred_at or now, now)
    return AcceptedClick(request=request, target=target, occurred_at=occurred_at,
                         destination=target.campaign.landing_url)


def _screen_and_store(uow: TrackingUnitOfWork, accepted: list[AcceptedClick], now: datetime,
                      settings: TrackingSettings) -> list[Click]:
    """Count the clicks for flooding, flag them by the rules, store them and their stats
    (a constant number of statements whatever the batch)."""
    if not accepted:
        return []
    batch = Counter(item.flood_key for item in accepted)
    gate = FloodGate.after_counting(settings.rules.max_clicks_per_minute,
                                    uow.clicks.count_for_flooding(batch), batch)
    clicks = [screen(item, now=now, gate=gate, rules=settings.rules) for item in accepted]
    uow.clicks.add(clicks)
    uow.stats.add(projections.click_tallies(clicks))
    return clicks


def _unpark(uow: TrackingUnitOfWork, now: datetime, settings: TrackingSettings) -> list[Click]:
    """Record the parked clicks whose code this replica now knows, in the transaction
    that taught it (usually nothing is parked: one indexed look-up)."""
    parked = uow.clicks.parked(settings.max_clicks_per_call)
    if not parked:
        return []
    targets = uow.references.targets_by_code({r.referral_code for r in parked})
    ready = [r for r in parked if r.referral_code in targets]
    clicks = _screen_and_store(uow, [_captured(r, targets[r.referral_code], now)
                                     for r in ready], now, settings)
    uow.clicks.unpark([r.click_id for r in ready])
    if ready:
        log.info("%d parked click(s) recorded", len(ready))
    return clicks


def _accept(request: ClickRequest, target: ReferralTarget | None, now: datetime,
            settings: TrackingSettings) -> AcceptedClick | DomainError:
    if target is None:
        return NotFound("Unknown referral code.", {"referral_code": ["Unknown."]})
    try:
        return accept(request, target, now=now, max_skew=settings.max_clock_skew)
    except ValidationError as error:
        return error


@HANDLERS.command(commands.BillValidClicks)
def bill_valid_clicks(cmd: commands.BillValidClicks, uow: TrackingUnitOfWork, clock: Clock,
                      settings: TrackingSettings) -> int:
    """Batch billable clicks, a chunk per transaction, until none is left."""
    billed = 0
    while True:
        with uow:
            clicks = uow.clicks.unbilled(settings.billing_chunk)
            histories = uow.references.terms_histories({c.campaign_id for c in clicks})
            batches = batch_clicks(clicks, _terms_lookup(histories), clock())
            for batch in batches:
                uow.click_batches.add(batch)
            uow.commit()
        billed += sum(batch.size for batch in batches)
        if len(clicks) < settings.billing_chunk or not batches:
            return billed


def _terms_lookup(histories: dict[str, TermsHistory]):
    def terms_of(campaign_id: str, version: int) -> TermsVersion | None:
        history = histories.get(campaign_id)
        return history.version(version) if history else None

    return terms_of


@HANDLERS.command(commands.PurgeFloodCounters)
def purge_flood_counters(cmd: commands.PurgeFloodCounters, uow: TrackingUnitOfWork, clock: Clock,
                         settings: TrackingSettings) -> int:
    with uow:
        purged = uow.clicks.purge_flood_counts(clock() - settings.flood_counter_retention)
        uow.commit()
    return purged


@HANDLERS.command(commands.PurgeOldClicks)
def purge_old_clicks(cmd: commands.PurgeOldClicks, uow: TrackingUnitOfWork, clock: Clock,
                     settings: TrackingSettings) -> int:
    """Timer: clicks older than ``click_retention`` go, ``click_purge_rows`` per
    transaction until none is left. A click is only evidence for attribution (within a
    window of at most 90 days) and CPC billing: the daily stats keep its count. A
    billable click not in a CPC batch yet is kept whatever its age."""
    if settings.click_retention is None:
        return 0
    before = clock() - settings.click_retention
    purged = 0
    while True:
        with uow:
            deleted = uow.clicks.purge_older_than(before, settings.click_purge_rows)
            uow.commit()
        purged += deleted
        if deleted < settings.click_purge_rows:
            return purged


@HANDLERS.command(commands.PublishStatsChanges)
def publish_stats_changes(cmd: commands.PublishStatsChanges, uow: TrackingUnitOfWork,
                          clock: Clock) -> int:
    """Timer: the daily stats rows changed since their last batch, ``max_rows`` per
    ``stats_changed`` event and transaction, until none is left. A look first: when
    nothing changed (the usual case between bursts) no write transaction is opened."""
    published = 0
    while True:
        with uow.peek():
            if not uow.stats.any_changed():
                return published
        with uow:
            rows = uow.stats.changed(cmd.max_rows)
            if rows:
                uow.stats.publish(StatsSnapshot.of(rows, clock()))
            uow.commit()
        published += len(rows)
        if len(rows) < cmd.max_rows:
            return published


@HANDLERS.command(commands.RecordPartnerIp)
def record_partner_ip(cmd: commands.RecordPartnerIp, uow: TrackingUnitOfWork, clock: Clock) -> None:
    with uow:
        uow.references.add_partner_ip(cmd.partner_id, cmd.ip, clock())
        uow.commit()


# --- conversions --------------------------------------------------------------------------
@HANDLERS.command(commands.RecordConversion)
def record_conversion(cmd: commands.RecordConversion, uow: TrackingUnitOfWork, clock: Clock,
                      settings: TrackingSettings) -> Conversion:
    """Attribute (or reject) a brand's order once; the same order again returns the
    conversion recorded the first time. Returns the conversion (the RPC answers from it
    without reading it back)."""
    now = clock()
    facts = _facts(cmd, now, settings)
    if facts.click_id:
        _await_click_in_flight(uow, facts.click_id, now, settings)
    try:
        return _record_conversion(uow, facts, now, settings)
    except DuplicateOrder:  # a concurrent report of the same order committed first
        with uow.peek():
            return uow.conversions.get_by_order(facts.brand_id, facts.order_id)


def _await_click_in_flight(uow: TrackingUnitOfWork, click_id: str, now: datetime,
                           settings: TrackingSettings) -> None:
    """The BFF answers a redirect once its click is safely on the broker, before tracking
    has recorded it; a shop can report the order a moment later. So a click id that is
    not stored yet but was minted lately (its time is in the id) is waited for, up to
    ``click_arrival_wait``, with reads outside any write transaction. An old or foreign
    id is not waited for: it is just unknown."""
    wait = settings.click_arrival_wait.total_seconds()
    minted = time_of(click_id)
    if wait <= 0 or minted is None or not (
            now - IN_FLIGHT_CLICK_AGE <= minted <= now + settings.max_clock_skew):
        return
    deadline, pause = time.monotonic() + wait, 0.01
    while True:
        with uow.peek():
            if uow.clicks.get(click_id) is not None:
                return
        if time.monotonic() >= deadline:
            return
        time.sleep(pause)  # green under Nameko (eventlet's monkey patching)
        pause = min(pause * 2, 0.2)


def _record_conversion(uow: TrackingUnitOfWork, facts: attribution.ConversionFacts, now: datetime,
                       settings: TrackingSettings) -> Conversion:
    """The unique (brand, order) index finds a repeated report: its insert fails
    (DuplicateOrder, answered with the stored conversion by the caller), so a new order
    -- nearly every call -- reads nothing first. A repeat the checks would refuse now
    (its click purged, ...) is answered with the stored conversion too."""
    with uow:
        try:
            credit = _credit(uow, facts)
            attribution.check_currency(facts, credit)
        except DomainError:
            existing = uow.conversions.get_by_order(facts.brand_id, facts.order_id)
            if existing is None:
                raise
            return existing
        partner_ips = (uow.references.partner_ips(credit.target.enrollment.partner_id)
                       if credit and settings.rules.self_referral else set())
        verdict = attribution.judge(facts, credit, partner_ips=partner_ips,
                                    rules=settings.rules)
        conversion = Conversion.of(facts, verdict, now)
        uow.conversions.add(conversion)
        uow.stats.add(projections.conversion_tallies(conversion))
        uow.commit()
    return conversion


def _facts(cmd: commands.RecordConversion, now: datetime,
           settings: TrackingSettings) -> attribution.ConversionFacts:
    occurred_at = cmd.occurred_at or now
    not_in_future(occurred_at, now, settings.max_clock_skew, "occurred_at")
    return attribution.ConversionFacts(
        brand_id=cmd.brand_id, order_id=cmd.order_id, amount=Money.of(cmd.amount, cmd.currency),
        occurred_at=occurred_at, referral_code=cmd.referral_code, click_id=cmd.click_id,
        customer_ip=cmd.customer_ip, customer_id=cmd.customer_id)


def _credit(uow: TrackingUnitOfWork,
            facts: attribution.ConversionFacts) -> attribution.Credit | None:
    """Last click (reported or from the customer's IP) within its window, else the
    reported code, else nobody."""
    reported = _reported_click(uow, facts)
    from_ip = None
    if facts.customer_ip:
        from_ip = uow.clicks.latest_from_ip(
            facts.brand_id, facts.customer_ip, since=facts.occurred_at - MAX_ATTRIBUTION_WINDOW,
            until=facts.occurred_at)
    click = attribution.last_click((reported, from_ip), facts.occurred_at)
    click_target = uow.references.target_by_enrollment(click.enrollment_id) if click else None
    credit = attribution.credit_for(facts, click, click_target, _reported_code(uow, facts))
    return credit or _renewal_credit(uow, facts)


def _renewal_credit(uow: TrackingUnitOfWork,
                    facts: attribution.ConversionFacts) -> attribution.Credit | None:
    if not facts.customer_id:
        return None
    referral = uow.conversions.customer_referral(facts.brand_id, facts.customer_id,
                                                 until=facts.occurred_at)
    target = uow.references.target_by_enrollment(referral.enrollment_id) if referral else None
    return attribution.renewal_credit(facts, referral, target)


def _reported_click(uow: TrackingUnitOfWork, facts: attribution.ConversionFacts):
    if not facts.click_id:
        return None
    click = uow.clicks.get(facts.click_id)
    if click is None:
        raise NotFound("Unknown click.", {"click_id": ["Unknown."]})
    _same_brand(click.brand_id, facts.brand_id, "click_id")
    return click


def _reported_code(uow: TrackingUnitOfWork,
                   facts: attribution.ConversionFacts) -> ReferralTarget | None:
    if not facts.referral_code:
        return None
    target = uow.references.targets_by_code([facts.referral_code]).get(facts.referral_code)
    if target is None:
        raise NotFound("Unknown referral code.", {"referral_code": ["Unknown."]})
    _same_brand(target.brand_id, facts.brand_id, "referral_code")
    return target


def _same_brand(owner: str, brand_id: str, field: str) -> None:
    if owner != brand_id:
        raise Forbidden("This belongs to another brand.",
                        {field: ["Belongs to another brand's campaign."]})


@HANDLERS.command(commands.ReverseConversion)
def reverse_conversion(cmd: commands.ReverseConversion, uow: TrackingUnitOfWork,
                       clock: Clock) -> str:
    """Refund an order, fully or in part; idempotent per refund id. Returns the
    conversion id."""
    now = clock()
    with uow:
        conversion = uow.conversions.get_by_order(cmd.brand_id, cmd.order_id, for_update=True)
        if conversion is None:
            raise NotFound("No such order for this brand.", {"order_id": ["Unknown."]})
        amount = _refund_amount(cmd, conversion)
        refund = conversion.refund(cmd.refund_id or default_refund_id(amount), amount, now)
        if refund is not None:
            uow.conversions.save(conversion)
            uow.stats.add(projections.refund_tallies(conversion, refund))
            uow.commit()
    return conversion.id


def _refund_amount(cmd: commands.ReverseConversion, conversion: Conversion) -> Money | None:
    if cmd.amount is None:
        return None
    amount = Money.of(cmd.amount, conversion.amount.currency)
    if not amount.is_rounded:
        raise ValidationError("Too many decimals.", {"amount": [
            f"{amount.currency} amounts have at most {amount.minor_unit} decimal places."]})
    return amount


# --- replicas -----------------------------------------------------------------------------
@HANDLERS.command(commands.ReplicateCampaign)
def replicate_campaign(cmd: commands.ReplicateCampaign, uow: TrackingUnitOfWork,
                       clock: Clock, settings: TrackingSettings) -> list[Click]:
    """The campaign snapshot and its terms; then clicks parked on a code of it whose
    enrollment was replicated before its campaign (events of two streams can cross)."""
    now = clock()
    with uow:
        _replicate_campaign(uow, cmd, now)
        unparked = _unpark(uow, now, settings)
        uow.commit()
    return unparked


def _replicate_campaign(uow: TrackingUnitOfWork, cmd: commands.ReplicateCampaign,
                        now: datetime) -> None:
    uow.references.add_terms(cmd.campaign.campaign_id, cmd.terms)
    uow.references.replicate_campaign(cmd.campaign, cmd.revision, now)


@HANDLERS.command(commands.ReplicateEnrollment)
def replicate_enrollment(cmd: commands.ReplicateEnrollment, uow: TrackingUnitOfWork,
                         clock: Clock, settings: TrackingSettings) -> list[Click]:
    """The enrollment (and, from ``partner_enrolled``, its campaign and terms); then the
    clicks parked on its code, if any. Returns those clicks."""
    now = clock()
    with uow:
        if cmd.campaign is not None:
            _replicate_campaign(uow, cmd.campaign, now)
        uow.references.replicate_enrollment(cmd.enrollment, cmd.revision, now)
        unparked = _unpark(uow, now, settings)
        uow.commit()
    return unparked


@HANDLERS.command(commands.ReplicatePartnerFigures)
def replicate_partner_figures(cmd: commands.ReplicatePartnerFigures, uow: TrackingUnitOfWork,
                              clock: Clock) -> None:
    """The partner's own commission from its ``effective_from`` on; the enrollment's
    revision moves with it."""
    now = clock()
    with uow:
        uow.references.replicate_enrollment(cmd.enrollment, cmd.change.revision, now)
        uow.references.add_figures(cmd.enrollment.enrollment_id, cmd.change)
        uow.commit()


@HANDLERS.command(commands.ReplicatePartner)
def replicate_partner(cmd: commands.ReplicatePartner, uow: TrackingUnitOfWork,
                      clock: Clock) -> None:
    with uow:
        uow.references.replicate_partner(cmd.partner, cmd.revision, clock())
        uow.commit()


# --- queries ------------------------------------------------------------------------------
@HANDLERS.query(queries.GetConversion)
def get_conversion(query: queries.GetConversion, uow: TrackingUnitOfWork) -> dict:
    with uow.read() as conn:
        return _found(views.conversion(conn, query.conversion_id),
                      f"Conversion {query.conversion_id} does not exist.", "conversion_id")


@HANDLERS.query(queries.ListConversions)
def list_conversions(query: queries.ListConversions, uow: TrackingUnitOfWork) -> dict:
    with uow.read() as conn:
        return views.conversions_page(conn, query)


@HANDLERS.query(queries.CampaignStats)
def campaign_stats(query: queries.CampaignStats, uow: TrackingUnitOfWork) -> dict:
    with uow.read() as conn:
        return _found(views.campaign_stats(conn, query),
                      f"Campaign {query.campaign_id} is unknown to tracking.", "campaign_id")


@HANDLERS.query(queries.PartnerStats)
def partner_stats(query: queries.PartnerStats, uow: TrackingUnitOfWork) -> dict:
    with uow.read() as conn:
        return views.partner_stats(conn, query)


@HANDLERS.query(queries.ResolveReferralCodes)
def resolve_referral_codes(query: queries.ResolveReferralCodes,
                           uow: TrackingUnitOfWork) -> list[dict]:
    with uow.read() as conn:
        return views.referral_links(conn, list(query.codes))


def _found(dto: dict | None, message: str, field: str) -> dict:
    if dto is None:
        raise NotFound(message, {field: ["Unknown."]})
    return dto
