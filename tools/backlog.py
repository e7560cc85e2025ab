"""How much work the platform's queues still hold, read from RabbitMQ's management API.

For tools that must not start the next thing while the previous one is still being
processed (the benchmark between measurements, the reliability suite between
scenarios). The management API refreshes its counts every 5 s by default: to call a
vhost drained, its queues must read empty for longer than that.
"""
from __future__ import annotations

import time
from urllib.parse import quote

import requests

from common.nameko.events import dead_letter_queue_name

# dead letters wait for an operator; a late RPC reply waits for a caller that gave up
IDLE_QUEUE_PREFIXES = (dead_letter_queue_name(""), "rpc.reply-")


def queued_messages(api_url: str, auth: tuple[str, str], vhost: str, *,
                    ignore: tuple[str, ...] = ()) -> dict[str, int]:
    """Queues of ``vhost`` holding messages ready or unacknowledged, by name (idle
    queues, and those named with a prefix in ``ignore``, aside): a non-empty answer means
    some handler has work left."""
    idle = IDLE_QUEUE_PREFIXES + tuple(ignore)
    queues = requests.get(f"{api_url}/queues/{quote(vhost, safe='')}", auth=auth,
                          timeout=10).json()
    return {queue["name"]: queue["messages"] for queue in queues
            if queue.get("messages") and not queue["name"].startswith(idle)}


def wait_until_drained(api_url: str, auth: tuple[str, str], vhost: str, *,
                       window: float, timeout: float, ignore: tuple[str, ...] = ()) -> float:
    """Wait until every queue of ``vhost`` (but those ``ignore`` names) has read empty
    for ``window`` seconds; the seconds waited. Raises TimeoutError after ``timeout``."""
    began = time.monotonic()
    quiet_since = None
    while True:
        now = time.monotonic()
        if now - began > timeout:
            raise TimeoutError(f"{vhost} still has queued work after {timeout:g} s: "
                               f"{queued_messages(api_url, auth, vhost, ignore=ignore)}")
        if queued_messages(api_url, auth, vhost, ignore=ignore):
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= window:
            return round(now - began, 1)
        time.sleep(min(0.5, window / 2))
