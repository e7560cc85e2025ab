"""Fault injectors: broker connections cut, a network path to a database cut (or only the
answer to a COMMIT lost), a SQLite database locked by another writer."""
from __future__ import annotations

import sqlite3
import threading
import time
from urllib.parse import quote

import eventlet
import requests

# The proxy and the lock holder run in real OS threads, with the unpatched modules (locks
# included: a green lock taken from an OS thread can block it for ever): they must keep
# working whatever the test's green threads (and hub) are doing.
socket = eventlet.patcher.original("socket")
os_time = eventlet.patcher.original("time")
real_threading = eventlet.patcher.original("threading")

MANAGEMENT = "http://127.0.0.1:15672/api"
# PostgreSQL's simple-query message for COMMIT ('Q', int32 length 11, "COMMIT\0"), as
# psycopg2 sends it.
PG_COMMIT = b"Q\x00\x00\x00\x0bCOMMIT\x00"
AUTH = ("guest", "guest")


def vhost_connections(vhost: str) -> list[dict]:
    response = requests.get(f"{MANAGEMENT}/vhosts/{quote(vhost, safe='')}/connections",
                            auth=AUTH, timeout=5)
    response.raise_for_status()
    return response.json()


def close_broker_connections(vhost: str, at_least: int = 1, timeout: float = 20.0) -> int:
    """Close every client connection of ``vhost`` (as a broker restart would), once the
    management API lists at least ``at_least`` of them (its statistics lag)."""
    deadline = time.monotonic() + timeout
    connections = vhost_connections(vhost)
    while len(connections) < at_least and time.monotonic() < deadline:
        eventlet.sleep(0.3)
        connections = vhost_connections(vhost)
    for connection in connections:
        requests.delete(f"{MANAGEMENT}/connections/{quote(connection['name'], safe='')}",
                        auth=AUTH, timeout=5, headers={"X-Reason": "reliability test"})
    return len(connections)


class TcpProxy:
    """A TCP relay in background OS threads: ``cut()`` drops every connection and refuses
    new ones until ``restore()`` — a database (or broker) briefly unreachable.
    ``lose_next_commit_answer()`` lets the next PostgreSQL COMMIT reach the server and
    drops its client's connection before the answer: the commit happened, the client
    cannot know.

    A dropped connection is always shut down, never only closed: ``close()`` on a socket
    another thread is reading does not end the connection, and the peer would wait for
    an answer for ever (seen: the outbox relay stuck in an UPDATE after a cut)."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = real_threading.Lock()
        self._up = True
        self._running = True
        self._lose_commit_answer = real_threading.Event()
        self.commit_answers_lost = 0
        self._thread = _real_thread(self._accept)

    def _accept(self) -> None:
        while self._running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _drop(client)
                continue
            with self._lock:
                admitted = self._up  # checked under the lock: a cut cannot miss this pair
                if admitted:
                    self._open |= {client, upstream}
            if not admitted:
                _drop(client, upstream)
                continue
            _real_thread(self._pipe, client, upstream, True)
            _real_thread(self._pipe, upstream, client)

    def _pipe(self, source: socket.socket, sink: socket.socket,
              from_client: bool = False) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if from_client and data.endswith(PG_COMMIT) and self._lose_commit_answer.is_set():
                    self._lose_commit_answer.clear()
                    self._commit_without_answer(data, client=source, upstream=sink)
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open -= {source, sink}
            _drop(source, sink)

    def lose_next_commit_answer(self) -> None:
        self._lose_commit_answer.set()

    def _commit_without_answer(self, data: bytes, client: socket.socket,
                               upstream: socket.socket) -> None:
        """The client's connection drops first (no answer can reach it), then the COMMIT
        goes on to the server, whose end stays open long enough to run it (closing it at
        once could reset the connection before the server reads the message)."""
        self.commit_answers_lost += 1
        _shut(client)
        upstream.sendall(data)
        os_time.sleep(0.5)

    def cut(self) -> None:
        with self._lock:
            self._up = False
            sockets, self._open = self._open, set()
        for sock in sockets:
            _shut(sock)  # the pipe threads wake up, see the end and close

    def restore(self) -> None:
        with self._lock:
            self._up = True

    def close(self) -> None:
        self._running = False
        self.cut()
        self.listener.close()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _drop(*sockets: socket.socket) -> None:
    for sock in sockets:
        _shut(sock)
        try:
            sock.close()
        except OSError:
            pass


def _real_thread(target, *args) -> threading.Thread:
    """An OS thread even under eventlet's monkey patching (the proxy must not depend on
    the test's hub, which may be busy)."""
    thread = real_threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


class SqliteLock:
    """Another writer holding SQLite's write lock for a while (BEGIN EXCLUSIVE)."""

    def __init__(self, path: str):
        self.path = path

    def hold(self, seconds: float) -> threading.Thread:
        def run():
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("BEGIN EXCLUSIVE")
            os_time.sleep(seconds)
            conn.execute("ROLLBACK")
            conn.close()

        return _real_thread(run)
