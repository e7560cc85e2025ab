"""The fraud rules' settings (config.yaml ``TRACKING``) and the checks that need no
replica: click flooding, too-fast conversions, self-referral."""
from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from common.seedwork.domain.entity import ValueObject

FloodKey = tuple[str, str, datetime]  # (referral code, ip, UTC minute)


@dataclasses.dataclass(frozen=True)
class FraudRules(ValueObject):
    """Each rule can be switched off: ``max_clicks_per_minute``/``min_seconds_to_convert``
    set to None, ``self_referral``/``reject_suspended`` to False."""

    max_clicks_per_minute: int | None = 10
    min_seconds_to_convert: float | None = 5.0
    self_referral: bool = True
    reject_suspended: bool = True

    def converted_too_fast(self, click_at: datetime, conversion_at: datetime) -> bool:
        if self.min_seconds_to_convert is None:
            return False
        return conversion_at - click_at < timedelta(seconds=self.min_seconds_to_convert)

    def is_self_referral(self, *, partner_known_as_customer: bool,
                         traffic_ips: Iterable[str | None], partner_ips: set[str]) -> bool:
        """The customer is the partner: same customer id/email, or the click or the
        conversion came from an IP the partner itself used."""
        if not self.self_referral:
            return False
        return partner_known_as_customer or any(ip in partner_ips for ip in traffic_ips if ip)


def minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def flood_key(referral_code: str, ip: str, moment: datetime) -> FloodKey:
    return (referral_code, ip, minute_of(moment))


class FloodGate:
    """Clicks per (referral code, IP, UTC calendar minute) -- a fixed-window counter:
    O(1) per click, bounded state. Clicks beyond the limit in their minute are still
    recorded but flagged ``click_flooding``.

    The batch's clicks are counted in storage first (one statement for the batch);
    the gate starts from what was counted *before* the batch and admits the batch's
    clicks one by one, in order.
    """

    def __init__(self, limit: int | None, counted_before: Mapping[FloodKey, int]):
        self.limit = limit
        self._counts: Counter[FloodKey] = Counter(counted_before)

    @classmethod
    def after_counting(cls, limit: int | None, totals: Mapping[FloodKey, int],
                       batch: Mapping[FloodKey, int]) -> "FloodGate":
        """From the totals storage holds once the batch's ``batch`` clicks were added."""
        return cls(limit, {key: totals[key] - count for key, count in batch.items()})

    def admit(self, key: FloodKey) -> bool:
        """One more click for ``key``; False when it is over the limit of its minute."""
        self._counts[key] += 1
        return self.limit is None or self._counts[key] <= self.limit
