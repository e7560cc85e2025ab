"""Fault injection for the reliability tests: one injectable plan, absent in production.

``FAULT_INJECTION`` in config.yaml (``${ALPES_FAULTS:}``, empty unless a test sets the
environment variable) is a comma-separated list of ``point`` or ``point:argument``
items. When it is empty, ``FaultPlan.from_config`` gives ``None`` and no hook is
installed anywhere: production code paths carry no fault calls. When it is set, the
bus provider installs only the hooks the plan names:

* ``crash_after_commit:<event type>`` kills the process (SIGKILL, as a power cut would)
  after the DB commit of a unit of work that emitted that event and before the relay
  publishes it (an after-commit listener placed before the relay's);
* ``fail_handler:<service>.<method>`` makes that reliable event handler raise before it
  does anything (a bug or an outage it cannot get past): retried, then dead-lettered;
* ``flaky_handler:<service>.<method>`` makes it raise on the first delivery of each event
  (in this process) and work on the next: a transient failure, retried with backoff;
* services name their own points through their ``crash_point`` port (payouts' saga:
  ``crash_after_hold_call``, ``crash_after_psp_call``, ...).
"""
from __future__ import annotations

import dataclasses
import logging
import os
import signal
from collections.abc import Iterable

ENV = "ALPES_FAULTS"
CONFIG_KEY = "FAULT_INJECTION"
log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class FaultPlan:
    items: tuple[tuple[str, str], ...]   # (point, argument or "")
    _failed_once: set = dataclasses.field(default_factory=set, compare=False)

    @classmethod
    def parse(cls, spec: str | None) -> "FaultPlan | None":
        items = tuple((name.strip(), argument.strip())
                      for name, _, argument in (part.partition(":")
                                                for part in (spec or "").split(","))
                      if name.strip())
        return cls(items) if items else None

    @classmethod
    def from_config(cls, config: dict) -> "FaultPlan | None":
        return cls.parse(config.get(CONFIG_KEY))

    def names(self, point: str) -> bool:
        return any(name == point for name, _ in self.items)

    def active(self, point: str, arguments: Iterable[str] = ()) -> bool:
        arguments = set(arguments)
        return any(name == point and (not argument or argument in arguments)
                   for name, argument in self.items)

    def crash_if(self, point: str, arguments: Iterable[str] = ()) -> None:
        arguments = list(arguments)
        if self.active(point, arguments):
            log.critical("fault injection: %s %s -> SIGKILL", point, arguments)
            os.kill(os.getpid(), signal.SIGKILL)

    def fail_if(self, point: str, arguments: Iterable[str] = ()) -> None:
        if self.active(point, arguments):
            raise RuntimeError(f"fault injection: {point}")

    def fail_first_time(self, point: str, argument: str, key: str) -> None:
        """Raise the first time ``key`` comes through ``point`` for ``argument``."""
        if self.active(point, [argument]) and (argument, key) not in self._failed_once:
            self._failed_once.add((argument, key))
            raise RuntimeError(f"fault injection: {point} (first delivery of {key})")


def no_crash(point: str, arguments: Iterable[str] = ()) -> None:
    """The ``crash_point`` port when no fault is planned."""


def active(point: str, arguments: Iterable[str] = ()) -> bool:
    """Whether the environment's plan (``ALPES_FAULTS``) names this point."""
    plan = FaultPlan.parse(os.environ.get(ENV))
    return plan is not None and plan.active(point, arguments)


def fail_if(point: str, arguments: Iterable[str] = ()) -> None:
    plan = FaultPlan.parse(os.environ.get(ENV))
    if plan is not None:
        plan.fail_if(point, arguments)
