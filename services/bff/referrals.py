"""Referral codes resolved at the edge: what ``GET /r/<code>`` needs, in memory.

A redirect needs the code's landing page (its campaign's) and the ids that say which
enrollment and campaign the click is on. The BFF keeps them per code, bounded:

* **an LRU, filled on a miss.** A code the BFF does not hold is looked up in tracking
  (``resolve_referral_codes``, which answers from the replica tracking keeps anyway);
  concurrent misses share one call (``batching.Batcher``). Entries are bounded
  (``max_codes``: ~0.5 KB each, so 100,000 codes ~50 MB), campaigns too (``max_campaigns``)
  -- a full replica of every code (500,000 partners, often several codes each) would cost
  each BFF instance hundreds of MB and a long bootstrap at every start, for links most
  of which nobody follows on a given day. Traffic on referral links is skewed: the LRU
  keeps the ones followed.
* **kept fresh by events.** Each BFF instance hears campaigns' ``partner_enrolled``,
  ``enrollment_suspended``/``reactivated``/``code_changed`` and the campaign lifecycle
  events on its own broadcast queue (``on_event``). An enrollment event carries the
  whole enrollment and a campaign event the whole campaign snapshot, so both are
  *upserted*: **a state only ever moves to a newer revision** (the revisions campaigns
  stamps, the rule tracking's replica follows). ``partner_enrolled`` also carries its
  campaign: a new link works at once, without asking tracking. A link that takes
  another code (``enrollment_code_changed``) leaves its previous one: the entry on it
  is dropped, and a late event or answer still carrying it (an older revision of the
  link) is not learnt again -- each link's latest code and revision are kept beside the
  codes, as bounded.
* **the race of a miss in flight with an event** is settled by the same rule: the
  answer of a look-up sent before an event and arriving after it is merged, per
  enrollment and per campaign, keeping whichever revision is newer (the event's has
  been upserted meanwhile) -- order does not matter. A code tracking did not know when
  asked but that an event taught meanwhile is kept, not cached as unknown.
* **a lost event** (the broadcast queue is not durable: it vanishes with its instance,
  and a broker restart drops it) is bounded by ``max_age``: an entry older than that is
  looked up again on its next use (if tracking does not answer then, the entry still
  serves: a redirect does not fail because tracking is down).
* **unknown codes** answer 404 and are remembered as unknown for ``unknown_ttl``
  seconds (``max_unknown`` of them, LRU), so a link that does not exist costs one
  look-up per TTL however often it is followed, and a flood of random codes fills no
  more memory than that and reaches tracking as at most ``max_in_flight`` batched calls
  at a time. ``partner_enrolled`` forgets a code's "unknown" at once.

Every known code redirects, whatever its enrollment's or campaign's status -- as before:
tracking stores a click through a suspended enrollment or on a paused, ended or
cancelled campaign, flagged as not attributable. The statuses are kept with their
revisions (the events carry them) for the day a rule stops redirecting; nothing reads
them to decide today.

Green threads switch only on I/O, so the dictionaries need no lock: the only switch in a
look-up is the batched RPC, after which answers are merged by revision.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from typing import Any

from common.contracts import campaigns as campaign_contracts
from common.seedwork.errors import ServiceUnavailable
from services.bff.batching import Batcher
from services.bff.lru import Lru

log = logging.getLogger(__name__)

Resolve = Callable[[list[str]], dict[str, Any]]  # tracking.resolve_referral_codes


@dataclasses.dataclass(frozen=True, slots=True)
class CampaignState:
    campaign_id: str
    landing_url: str
    status: str
    revision: int


@dataclasses.dataclass(frozen=True, slots=True)
class EnrollmentState:
    referral_code: str
    enrollment_id: str
    campaign_id: str
    status: str
    revision: int


@dataclasses.dataclass(frozen=True, slots=True)
class Link:
    """What a redirect on one code needs."""

    enrollment: EnrollmentState
    campaign: CampaignState

    @property
    def landing_url(self) -> str:
        return self.campaign.landing_url


CAMPAIGN_EVENTS = (campaign_contracts.CAMPAIGN_ACTIVATED, campaign_contracts.CAMPAIGN_PAUSED,
                   campaign_contracts.CAMPAIGN_ENDED, campaign_contracts.CAMPAIGN_CANCELLED)
ENROLLMENT_EVENTS = (campaign_contracts.PARTNER_ENROLLED,
                     campaign_contracts.ENROLLMENT_SUSPENDED,
                     campaign_contracts.ENROLLMENT_REACTIVATED,
                     campaign_contracts.ENROLLMENT_CODE_CHANGED)
EVENTS = ENROLLMENT_EVENTS + CAMPAIGN_EVENTS
_CONTRACTS = {contract.name: contract for contract in EVENTS}


class ReferralLinks:
    def __init__(self, *, max_codes: int = 100_000, max_campaigns: int = 10_000,
                 max_unknown: int = 10_000, unknown_ttl: float = 5.0, max_age: float = 300.0,
                 lookup_batch: int = 100, lookups_in_flight: int = 2,
                 clock: Callable[[], float] = time.monotonic):
        self._codes: Lru = Lru(max_codes)          # code -> (EnrollmentState, learned at)
        self._links: Lru = Lru(max_codes)          # enrollment id -> (its code, revision)
        self._campaigns: Lru = Lru(max_campaigns)  # campaign id -> CampaignState
        self._unknown: Lru = Lru(max_unknown)      # code -> unknown until (clock)
        self.unknown_ttl = unknown_ttl
        self.max_age = max_age
        self.clock = clock
        self._lookups: Batcher[str] = Batcher(lookup_batch, lookups_in_flight)

    # the redirect --------------------------------------------------------------------------
    def lookup(self, code: str, resolve: Resolve) -> Link | None:
        """The code's link, or None when it does not exist (404)."""
        now = self.clock()
        held = self._codes.touch(code)
        if held is not None:
            enrollment, learned_at = held
            campaign = self._campaigns.touch(enrollment.campaign_id)
            if campaign is not None:
                link = Link(enrollment, campaign)
                if now - learned_at < self.max_age:
                    return link
                return self._refresh(code, resolve, stale=link)
        until = self._unknown.get(code)
        if until is not None:
            if now < until:
                return None
            self._unknown.pop(code, None)
        return self._lookups.submit(code, lambda codes: self._resolve(codes, resolve))

    def _refresh(self, code: str, resolve: Resolve, stale: Link) -> Link | None:
        try:
            return self._lookups.submit(code, lambda codes: self._resolve(codes, resolve))
        except ServiceUnavailable:
            log.warning("tracking did not answer a referral code look-up; redirecting on "
                        "what this instance last knew of %s", code)
            return stale

    def _resolve(self, codes: list[str], resolve: Resolve) -> list[Link | None]:
        """One call for a batch of codes (repeats asked once); merged by revision."""
        answer = resolve(list(dict.fromkeys(codes)))
        now = self.clock()
        for item in answer["items"]:
            self._learn_campaign(_campaign(item["campaign"]))
            self._learn_enrollment(_enrollment(item), now)
        return [self._known(code, now) for code in codes]

    def _known(self, code: str, now: float) -> Link | None:
        held = self._codes.get(code)
        campaign = self._campaigns.get(held[0].campaign_id) if held else None
        if held is None or campaign is None:
            # unknown to tracking, and no event taught it meanwhile
            self._unknown.put(code, now + self.unknown_ttl)
            return None
        return Link(held[0], campaign)

    # events --------------------------------------------------------------------------------
    def on_event(self, envelope: Any) -> None:
        """A campaigns event heard on this instance's broadcast queue."""
        try:
            contract = _CONTRACTS[envelope["type"]]
            if envelope.get("source") != contract.source:
                raise KeyError(envelope.get("source"))
            payload = contract.parse(envelope["payload"])
        except Exception:  # noqa: BLE001 -- unreadable: forget everything, to be safe
            log.warning("unreadable campaigns event: every referral code forgotten")
            self.clear()
            return
        now = self.clock()
        if contract in CAMPAIGN_EVENTS:
            self._learn_campaign(_campaign(payload["campaign"]))
            return
        if "campaign" in payload:  # partner_enrolled: the link works at once
            self._learn_campaign(_campaign(payload["campaign"]))
        self._learn_enrollment(_enrollment(payload), now)
        self._unknown.pop(payload["referral_code"], None)

    def clear(self) -> None:
        for table in (self._codes, self._links, self._campaigns, self._unknown):
            table.clear()

    # merging: a state only moves to a newer revision -----------------------------------------
    def _learn_enrollment(self, enrollment: EnrollmentState, now: float) -> None:
        latest = self._links.get(enrollment.enrollment_id)  # (code, revision) it last had
        if latest is not None and latest[0] != enrollment.referral_code:
            if latest[1] > enrollment.revision:
                return  # a code the link has left since: never learnt again
            self._forget_code(latest[0], enrollment.enrollment_id)
        held = self._codes.get(enrollment.referral_code)
        if held is not None and held[0].revision > enrollment.revision:
            enrollment = held[0]
        self._codes.put(enrollment.referral_code, (enrollment, now))
        self._links.put(enrollment.enrollment_id, (enrollment.referral_code,
                                                   enrollment.revision))

    def _forget_code(self, code: str, enrollment_id: str) -> None:
        """The code a link left (another code of its own now): a redirect on it asks
        tracking again, which knows it no more."""
        held = self._codes.get(code)
        if held is not None and held[0].enrollment_id == enrollment_id:
            self._codes.pop(code, None)

    def _learn_campaign(self, campaign: CampaignState) -> None:
        held = self._campaigns.get(campaign.campaign_id)
        if held is None or held.revision < campaign.revision:
            self._campaigns.put(campaign.campaign_id, campaign)

    def __len__(self) -> int:
        return len(self._codes)


def _campaign(data: dict[str, Any]) -> CampaignState:
    return CampaignState(campaign_id=data["campaign_id"], landing_url=data["landing_url"],
                         status=data["status"], revision=data["revision"])


def _enrollment(data: dict[str, Any]) -> EnrollmentState:
    return EnrollmentState(referral_code=data["referral_code"],
                           enrollment_id=data["enrollment_id"],
                           campaign_id=data["campaign_id"], status=data["status"],
                           revision=data["revision"])
