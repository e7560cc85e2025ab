"""Fault-injection hooks for the reliability tests. Inert unless ALPES_FAULTS is set.

``ALPES_FAULTS`` is a comma-separated list of ``point`` or ``point:argument`` items:

* ``crash_after_commit:<event type>`` kills the process (SIGKILL, as a power cut would)
  after the DB commit of a unit of work that emitted that event and before the relay
  publishes it;
* ``fail_handler:<service>.<method>`` makes that reliable event handler raise before it
  does anything (a bug or an outage it cannot get past): retried, then dead-lettered;
* services add their own points (e.g. payouts' ``crash_after_psp_call``).
"""
from __future__ import annotations

import logging
import os
import signal
from collections.abc import Iterable

ENV = "ALPES_FAULTS"
log = logging.getLogger(__name__)


def active(point: str, arguments: Iterable[str] = ()) -> bool:
    spec = os.environ.get(ENV, "")
    if not spec:
        return False
    arguments = set(arguments)
    for item in (part.strip() for part in spec.split(",")):
        name, _, argument = item.partition(":")
        if name == point and (not argument or argument in arguments):
            return True
    return False


def crash_if(point: str, arguments: Iterable[str] = ()) -> None:
    arguments = list(arguments)
    if active(point, arguments):
        log.critical("fault injection: %s %s -> SIGKILL", point, arguments)
        os.kill(os.getpid(), signal.SIGKILL)


def fail_if(point: str, arguments: Iterable[str] = ()) -> None:
    if active(point, arguments):
        raise RuntimeError(f"fault injection: {point}")
