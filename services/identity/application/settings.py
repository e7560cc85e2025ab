"""The service's knobs (config.yaml ``IDENTITY``), read once at start."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from services.identity.domain.passwords import PasswordPolicy
from services.identity.domain.throttling import ThrottlePolicy

SECTION = "IDENTITY"


@dataclasses.dataclass(frozen=True)
class Argon2Settings:
    """argon2id's cost (argon2-cffi's defaults: RFC 9106's low-memory profile)."""

    time_cost: int = 3
    memory_cost_kib: int = 65536
    parallelism: int = 4
    max_concurrent: int = 2  # hashes computed at once per process (CPU and memory bound)


@dataclasses.dataclass(frozen=True)
class IdentitySettings:
    password: PasswordPolicy = PasswordPolicy()
    session_idle: timedelta = timedelta(minutes=30)
    session_lifetime: timedelta = timedelta(hours=12)
    touch_interval: timedelta = timedelta(seconds=60)  # last-seen / last-used write at most
    invitation_lifetime: timedelta = timedelta(days=7)
    password_reset_lifetime: timedelta = timedelta(hours=24)
    throttle_window: timedelta = timedelta(minutes=15)
    throttle_lockout: timedelta = timedelta(minutes=15)
    max_failures_per_account: int = 5
    max_failures_per_ip: int = 50
    retention: timedelta = timedelta(days=7)  # ended sessions and old counters are purged
    sign_up_abandoned_after: timedelta = timedelta(days=7)  # a sign-up nobody finished
    sign_up_sweep_batch: int = 100  # partner accounts asked about per housekeeping run
    # self-service reset links, emailed: at most one per account per interval
    password_reset_request_interval: timedelta = timedelta(seconds=60)
    public_base_url: str = "http://localhost:8000"  # the links' site: <base>/app/reset#...
    mail_url: str = "none"  # how email leaves (infrastructure/mail.py); "none": it does not
    mail_from: str = "AlpesPartners <no-reply@localhost>"
    argon2: Argon2Settings = Argon2Settings()

    @property
    def account_throttle(self) -> ThrottlePolicy:
        return ThrottlePolicy(self.max_failures_per_account, self.throttle_window,
                              self.throttle_lockout)

    @property
    def ip_throttle(self) -> ThrottlePolicy:
        return ThrottlePolicy(self.max_failures_per_ip, self.throttle_window,
                              self.throttle_lockout)

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> "IdentitySettings":
        values = dict(section or {})
        argon2 = dict(values.get("argon2") or {})

        def seconds(key: str, default: timedelta) -> timedelta:
            return timedelta(seconds=float(values.get(key, default.total_seconds())))

        defaults = cls()
        return cls(
            password=PasswordPolicy(
                min_length=int(values.get("password_min_length", defaults.password.min_length)),
                max_length=int(values.get("password_max_length", defaults.password.max_length))),
            session_idle=seconds("session_idle_seconds", defaults.session_idle),
            session_lifetime=seconds("session_absolute_seconds", defaults.session_lifetime),
            touch_interval=seconds("touch_interval_seconds", defaults.touch_interval),
            invitation_lifetime=seconds("invitation_ttl_seconds", defaults.invitation_lifetime),
            password_reset_lifetime=seconds("password_reset_ttl_seconds",
                                            defaults.password_reset_lifetime),
            throttle_window=seconds("throttle_window_seconds", defaults.throttle_window),
            throttle_lockout=seconds("throttle_lockout_seconds", defaults.throttle_lockout),
            max_failures_per_account=int(values.get("max_failures_per_account",
                                                    defaults.max_failures_per_account)),
            max_failures_per_ip=int(values.get("max_failures_per_ip",
                                               defaults.max_failures_per_ip)),
            retention=seconds("retention_seconds", defaults.retention),
            sign_up_abandoned_after=seconds("sign_up_abandoned_after_seconds",
                                            defaults.sign_up_abandoned_after),
            sign_up_sweep_batch=int(values.get("sign_up_sweep_batch",
                                               defaults.sign_up_sweep_batch)),
            password_reset_request_interval=seconds("password_reset_request_interval_seconds",
                                                    defaults.password_reset_request_interval),
            public_base_url=str(values.get("public_base_url", defaults.public_base_url)),
            mail_url=str(values.get("mail_url") or defaults.mail_url),
            mail_from=str(values.get("mail_from") or defaults.mail_from),
            argon2=Argon2Settings(
                time_cost=int(argon2.get("time_cost", Argon2Settings.time_cost)),
                memory_cost_kib=int(argon2.get("memory_cost_kib", Argon2Settings.memory_cost_kib)),
                parallelism=int(argon2.get("parallelism", Argon2Settings.parallelism)),
                max_concurrent=int(argon2.get("max_concurrent", Argon2Settings.max_concurrent))))
