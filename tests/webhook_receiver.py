"""A real HTTP receiver of webhooks on 127.0.0.1, started by a test.

It records every request (headers, raw body, arrival time), answers what the test tells
it to (a status per request, a delay), and can verify each signature with the
``standardwebhooks`` package -- the verifier a brand's own code would use, not ours --
and count each ``webhook-id`` once, as a de-duplicating receiver does::

    with Receiver() as receiver:              # http://127.0.0.1:<port>/hook
        receiver.answer(500, times=2)         # then 200
        ...
        receiver.wait_for(3)
        receiver.verified(secret)             # bodies whose signature verifies
"""
from __future__ import annotations

import collections
import dataclasses
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


@dataclasses.dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")

    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    def __init__(self, *, status: int = 200, delay: float = 0.0):
        self.status = status
        self.delay = delay
        self._script: collections.deque[tuple[int, float]] = collections.deque()
        self.received: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request (kill -9): a server
                    self.close_connection = True  # gets no request, only a dropped line
                    return
                with receiver.lock:
                    receiver.received.append(Received(
                        {k.lower(): v for k, v in self.headers.items()}, body,
                        time.monotonic()))
                    status, delay = (receiver._script.popleft() if receiver._script
                                     else (receiver.status, receiver.delay))
                if delay:
                    time.sleep(delay)
                answer = json.dumps({"status": status}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the sender gave up (timeout): nothing to answer to

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self._thread.start()
        self._started = True
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        if getattr(self, "_started", False):
            self._started = False
            self.server.shutdown()
        self.server.server_close()

    def answer(self, status: int, *, times: int = 1, delay: float = 0.0) -> None:
        """The next ``times`` requests get ``status`` (after ``delay`` seconds)."""
        with self.lock:
            self._script.extend([(status, delay)] * times)

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def wait_for(self, n: int, timeout: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while self.count() < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver got {self.count()} request(s), "
                                     f"expected {n} within {timeout}s")
            time.sleep(0.02)
        with self.lock:
            return list(self.received)

    def unique(self) -> dict[str, Received]:
        """The first request of each webhook-id (what a de-duplicating receiver keeps)."""
        with self.lock:
            found: dict[str, Received] = {}
            for request in self.received:
                found.setdefault(request.webhook_id, request)
            return found

    def verified(self, secret: str) -> list[dict]:
        """Every body whose signature the standardwebhooks verifier accepts for
        ``secret``; an AssertionError for any other."""
        verifier = Webhook(secret)
        bodies = []
        with self.lock:
            requests = list(self.received)
        for request in requests:
            try:
                bodies.append(verifier.verify(request.body, request.headers))
            except WebhookVerificationError as error:
                raise AssertionError(f"{request.webhook_id}: {error}") from None
        return bodies


def verifies(secret: str, request: Received) -> bool:
    try:
        Webhook(secret).verify(request.body, request.headers)
        return True
    except WebhookVerificationError:
        return False
