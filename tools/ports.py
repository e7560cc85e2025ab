"""Blocks of free TCP ports for a stack's listeners (``/metrics``, the BFFs' HTTP).

Chosen below the ephemeral range (32768 up), where no outgoing connection -- of this
process or of another run side by side -- takes one between this check and the services
binding them. Each kind of run keeps to its own range, so runs side by side
(tools/test_shards.py) never pick the same block: the e2e stacks 10000-20000, the
reliability platform 20000-30000, the benchmark 30000-32768; a developer's ``make run``
keeps the 9400s (config.yaml ``METRICS.port_base``).
"""
from __future__ import annotations

import random
import socket

E2E = (10000, 20000)
RELIABILITY = (20000, 30000)
BENCH = (30000, 32768)


def free_port_block(size: int, span: tuple[int, int], attempts: int = 50) -> int:
    """The first of ``size`` consecutive ports of ``span`` free on 127.0.0.1."""
    low, high = span
    for _ in range(attempts):
        first = random.randrange(low, high - size + 1)
        if all(_free(port) for port in range(first, first + size)):
            return first
    raise RuntimeError(f"no block of {size} free ports in {low}-{high}")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
