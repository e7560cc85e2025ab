"""Quiet eventlet's deprecation notice, which every process importing eventlet prints
(ten lines each: some sixty at every ``alpes run``), and dnspython's notices about
cryptography's deprecated DSA classes (eight lines each: eventlet's DNS imports dnspython,
which touches them once ``cryptography`` is installed, as webhooks' sealing needs) --
and nothing else.

Inside our own entry points a filter on the notice's text does it (``quiet_eventlet``).
Child processes -- ``nameko run`` per service, ``nameko shell`` -- get ``PYTHONWARNINGS``
(``quiet_env``). That syntax cannot name the notice itself: it matches a message from its
first character (eventlet's starts with a newline, which the syntax strips) and a
category only by importing it (importing eventlet into every Python process at start-up).
So it names the nameko modules that first import eventlet -- ``nameko run`` and
``nameko shell`` (``nameko.cli.commands``), a service or client import
(``nameko.containers``, ``nameko.extensions``) -- and ignores warnings raised there; and
dnspython's ``dns.dnssecalgs.dsa``, where the DSA notices are raised.
A real error still prints: filters act on warnings, never on exceptions or log lines.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping

EVENTLET_NOTICE = r"\s*Eventlet is deprecated"
NAMEKO_IMPORTERS = ("nameko.cli.commands", "nameko.containers", "nameko.extensions")
DSA_NOTICES = "dns.dnssecalgs.dsa"
PYTHONWARNINGS = ",".join(f"ignore::Warning:{module}"
                          for module in (*NAMEKO_IMPORTERS, DSA_NOTICES))


def quiet_eventlet() -> None:
    """Ignore the notices in this process (call it before anything imports eventlet)."""
    warnings.filterwarnings("ignore", message=EVENTLET_NOTICE, category=Warning)
    warnings.filterwarnings("ignore", module=DSA_NOTICES.replace(".", r"\."),
                            category=Warning)


def quiet_env(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with our filters added to any ``PYTHONWARNINGS`` it already has (ours come
    last: for these modules they win; the caller's others still apply)."""
    present = [item for item in env.get("PYTHONWARNINGS", "").split(",") if item]
    wanted = present + [item for item in PYTHONWARNINGS.split(",") if item not in present]
    return {**env, "PYTHONWARNINGS": ",".join(wanted)}
