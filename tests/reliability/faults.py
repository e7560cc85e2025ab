"""Fault injectors: broker connections cut, a network path to a database cut, a SQLite
database locked by another writer."""
from __future__ import annotations

import sqlite3
import threading
import time
from urllib.parse import quote

import eventlet
import requests

# The proxy and the lock holder run in real OS threads, with the unpatched modules: they
# must keep working whatever the test's green threads (and hub) are doing.
socket = eventlet.patcher.original("socket")
os_time = eventlet.patcher.original("time")

MANAGEMENT = "http://127.0.0.1:15672/api"
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
    """A TCP relay in a background OS thread: ``cut()`` drops every connection and refuses
    new ones until ``restore()`` — a database (or broker) briefly unreachable."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._up = True
        self._running = True
        self._thread = _real_thread(self._accept)

    def _accept(self) -> None:
        while self._running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self._up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open |= {client, upstream}
            _real_thread(self._pipe, client, upstream)
            _real_thread(self._pipe, upstream, client)

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.close()
                except OSError:
                    pass

    def cut(self) -> None:
        self._up = False
        with self._lock:
            sockets, self._open = self._open, set()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            except OSError:
                pass

    def restore(self) -> None:
        self._up = True

    def close(self) -> None:
        self._running = False
        self.cut()
        self.listener.close()


def _real_thread(target, *args) -> threading.Thread:
    """An OS thread even under eventlet's monkey patching (the proxy must not depend on
    the test's hub, which may be busy)."""
    real_threading = eventlet.patcher.original("threading")
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
