"""argon2id password hashes (argon2-cffi), the application's ``PasswordHasher`` port.

argon2 is CPU and memory hard on purpose (tens of milliseconds, ``memory_cost_kib`` of
RAM per hash). Under eventlet a C call that long would stop every green thread of the
service, so each hash or verification runs in eventlet's pool of OS threads
(``tpool``), at most ``max_concurrent`` at once (a flood of log-ins queues rather than
taking all the CPU and memory). An unknown account is verified against a dummy hash of
the same parameters, so it costs what a real one costs.
"""
from __future__ import annotations

import secrets

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from eventlet import patcher, tpool
from eventlet.semaphore import Semaphore

from services.identity.application.settings import Argon2Settings


class Argon2Hasher:
    def __init__(self, settings: Argon2Settings):
        self._hasher = argon2.PasswordHasher(
            time_cost=settings.time_cost, memory_cost=settings.memory_cost_kib,
            parallelism=settings.parallelism, type=argon2.Type.ID)
        self._slots = Semaphore(max(1, settings.max_concurrent))
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def _run(self, function, *args):
        with self._slots:
            if patcher.is_monkey_patched("thread"):
                return tpool.execute(function, *args)
            return function(*args)

    def hash(self, password: str) -> str:
        return self._run(self._hasher.hash, password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return bool(self._run(self._hasher.verify, password_hash or self._dummy, password)
                        ) and password_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
