"""The BFF's Nameko dependencies: its shared edge state and its RPC client.

``Edge`` holds what outlives a request -- settings, the token codec, the rate limiter
(its buckets in this process, or its counters in Redis when several instances share
them: ``BFF.rate_limit_storage``), the broker address -- built once in ``setup()``.
``BffRpcClient`` is the platform's ``RpcClient`` (timeouts, typed ``ServiceUnavailable``)
with the BFF's own timeout when config.yaml sets ``BFF.rpc_timeout_seconds``.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Any

from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider

from common.nameko.config import flag
from common.nameko.rpc import RpcClient
from services.bff import settings as bff_settings
from services.bff.auth import MIN_SECRET_LENGTH, SECRET_ENV, TokenCodec, secret_from_environment
from services.bff.clicks import BufferedClickCapture, ClickCapture, click_capture
from services.bff.credentials import Credentials
from services.bff.partner_ips import PartnerIps
from services.bff.ratelimit import Limiter, RateLimiter
from services.bff.ratelimit_shared import SharedRateLimiter, describe
from services.bff.referrals import ReferralLinks

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class EdgeState:
    settings: bff_settings.Settings
    codec: TokenCodec
    limiter: Limiter
    config: dict[str, Any]
    partner_ips: PartnerIps = dataclasses.field(default_factory=PartnerIps)
    clicks: ClickCapture | BufferedClickCapture | None = None
    links: ReferralLinks = dataclasses.field(default_factory=ReferralLinks)
    credentials: Credentials = dataclasses.field(default_factory=lambda: Credentials(4.0))

    @property
    def amqp_uri(self) -> str:
        return self.config[AMQP_URI_CONFIG_KEY]


class Edge(DependencyProvider):
    def setup(self):
        secret = secret_from_environment()
        if secret is None:
            log.warning("%s is not set (or shorter than %d characters): every bearer token "
                        "will be refused; public routes still answer.", SECRET_ENV,
                        MIN_SECRET_LENGTH)
        settings = bff_settings.from_config(self.container.config)
        config = self.container.config
        clicks = click_capture(settings.click_handover, config[AMQP_URI_CONFIG_KEY], config,
                               max_batch=settings.click_batch_max,
                               max_in_flight=settings.click_batches_in_flight,
                               linger=settings.click_batch_linger_ms / 1000,
                               flush_interval=settings.click_flush_ms / 1000,
                               max_buffered=settings.click_buffer_max,
                               journal_dir=settings.click_journal_dir,
                               check_contract=flag(config.get("CHECK_OUTGOING_EVENTS", False)))
        log.info("referral clicks: %s", _handover_said(settings))
        links = ReferralLinks(max_codes=settings.referral_links_max,
                              unknown_ttl=settings.unknown_code_seconds,
                              max_age=settings.referral_link_max_age_seconds)
        self.state = EdgeState(settings=settings, codec=TokenCodec(secret),
                               limiter=limiter_for(settings.rate_limit_storage),
                               config=self.container.config,
                               clicks=clicks, links=links,
                               credentials=Credentials(settings.credential_cache_seconds))

    def start(self):
        if self.state.clicks is not None:
            self.state.clicks.start(lambda run: self.container.spawn_managed_thread(
                run, identifier="referral_clicks_flusher"))

    def stop(self):
        if self.state.clicks is not None:
            self.state.clicks.close()

    def get_dependency(self, worker_ctx) -> EdgeState:
        return self.state


def limiter_for(storage: str) -> Limiter:
    """The rate limiter ``BFF.rate_limit_storage`` asks for, said in the start-up log."""
    if storage == bff_settings.MEMORY:
        log.info("rate limits: in memory, this instance only (with several BFF instances "
                 "set BFF_RATE_LIMIT_STORAGE=redis://...)")
        return RateLimiter()
    limiter = SharedRateLimiter.from_uri(storage)
    log.info("rate limits: shared by every instance in Redis at %s", describe(storage))
    if not limiter.storage.check():  # a ping; the BFF starts anyway (fail open)
        log.warning("rate limits: Redis at %s does not answer yet: requests pass without "
                    "rate limits until it does", describe(storage))
    return limiter


class BffRpcClient(RpcClient):
    def setup(self):
        super().setup()
        override = bff_settings.from_config(self.container.config).rpc_timeout_seconds
        if override:
            self.effective_timeout = override


def _handover_said(settings: bff_settings.Settings) -> str:
    flushed = f"handed over every {settings.click_flush_ms:g} ms"
    return {
        "confirmed": "handed over once the broker confirmed them (each redirect waits)",
        "buffered": f"buffered in memory, {flushed} (redirects answer at once)",
    }.get(settings.click_handover, f"journaled in {settings.click_journal_dir}, {flushed} "
                                   "(redirects answer once written)")
