"""``ServiceDatabase``: nameko-sqlalchemy's ``Database`` provider, made the platform's.

nameko-sqlalchemy owns the engine and the session lifecycle: it reads the URI in
``setup()`` from ``DB_URIS["<service>:<Base>"]`` (``Base`` is the service's declarative
base over its tables, ``infrastructure/tables.py``), builds the engine and a session
factory, gives each worker its own ``DatabaseWrapper`` and closes that worker's sessions
in ``worker_teardown`` -- also when the worker raised: the safety net under our unit of
work, which commits and rolls back explicitly (never ``with session:``, whose exit
commits). On top of it this subclass:

* computes the engine options from the URL (SQLite busy timeout; PostgreSQL pool,
  pre-ping, TCP keepalives) and installs psycogreen's wait callback for psycopg2, so a
  query yields to eventlet's hub instead of blocking it;
* attaches the SQLite listeners (WAL and PRAGMAs on connect, ``BEGIN IMMEDIATE`` on
  write transactions) to the engine it created, and keeps a read engine beside it;
* owns the service's outbox relay (``relay``, its own extension) and, on ``stop()``,
  flushes it before the engine goes;
* on SQLite, refuses to start a second *process* of the service on the same file (an
  exclusive ``flock`` next to it): two processes' writers would wait for each other
  inside SQLite's busy handler, which blocks eventlet's hub. Containers of one process
  share the process's write lock and may run side by side (tests). More instances run on
  PostgreSQL.

    class PartnersService:
        db = ServiceDatabase(Base)
"""
from __future__ import annotations

import fcntl
import os
import threading

from nameko_sqlalchemy import Database as NamekoSqlAlchemyDatabase
from nameko_sqlalchemy.database import DatabaseWrapper
from sqlalchemy.engine import make_url

from common.nameko.relay import OutboxRelayExtension
from common.seedwork.infrastructure.database import (
    Database,
    engine_options,
    read_engine_for,
)

DB_URIS = "DB_URIS"
DB_POOL_SIZE = "DB_POOL_SIZE"  # PostgreSQL connections kept per process (as many again on bursts)
_INSTANCE_LOCKS: dict[str, list] = {}  # lock file -> [fd, containers of this process]
_INSTANCE_LOCKS_GUARD = threading.Lock()


class SecondSqliteInstance(RuntimeError):
    """Another process already serves this SQLite database."""


def claim_sqlite(uri: str, service: str) -> str | None:
    """Hold ``<database>.instance.lock`` for this process (``None`` if not SQLite)."""
    url = make_url(uri)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    lock_path = os.path.abspath(url.database) + ".instance.lock"
    with _INSTANCE_LOCKS_GUARD:
        if lock_path in _INSTANCE_LOCKS:
            _INSTANCE_LOCKS[lock_path][1] += 1
            return lock_path
        os.makedirs(os.path.dirname(lock_path), exist_ok=True)
        fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SecondSqliteInstance(
                f"Another {service} process already serves the SQLite database "
                f"{url.database}: SQLite runs one instance per service (a second one's "
                f"writers would wait inside SQLite and block the event loop). Run more "
                f"instances on PostgreSQL (make run DB=postgres INSTANCES=2).") from None
        _INSTANCE_LOCKS[lock_path] = [fd, 1]
    return lock_path


def release_sqlite(lock_path: str | None) -> None:
    if lock_path is None:
        return
    with _INSTANCE_LOCKS_GUARD:
        held = _INSTANCE_LOCKS.get(lock_path)
        if held is None:
            return
        held[1] -= 1
        if held[1] == 0:
            os.close(held[0])  # releases the flock
            del _INSTANCE_LOCKS[lock_path]


def db_uri_key(service_name: str, base_name: str = "Base") -> str:
    """nameko-sqlalchemy's key in ``DB_URIS``: ``"<service>:<declarative base name>"``."""
    return f"{service_name}:{base_name}"


def patch_for_eventlet(uri: str) -> None:
    """psycopg2 waits through eventlet's hub instead of blocking it (idempotent)."""
    if make_url(uri).get_driver_name() == "psycopg2":
        from psycogreen.eventlet import patch_psycopg

        patch_psycopg()


class WorkerDatabase(DatabaseWrapper):
    """A worker's database: nameko-sqlalchemy's per-worker sessions (closed at worker
    teardown), plus the service's engines for what is not a session (reads, health)."""

    def __init__(self, Session, database: Database):
        super().__init__(Session)
        self.database = database

    def new_session(self):
        """A session for one unit of work; closed by it, else at worker teardown."""
        return self.get_session()

    def ping(self) -> bool:
        return self.database.ping()


class ServiceDatabase(NamekoSqlAlchemyDatabase):
    relay = OutboxRelayExtension()

    def setup(self):
        uri = self.container.config[DB_URIS][
            db_uri_key(self.container.service_name, self.declarative_base.__name__)]
        patch_for_eventlet(uri)
        self._sqlite_claim = claim_sqlite(uri, self.container.service_name)
        pool_size = int(self.container.config.get(DB_POOL_SIZE) or 10)
        self.engine_options = {**engine_options(uri, pool_size=pool_size), **self.engine_options}
        super().setup()  # nameko-sqlalchemy: self.engine, self.Session
        self.database = Database.over(self.engine, read_engine_for(self.engine))
        self.relay.serve(self.database)

    def stop(self):
        self.relay.stop()  # flushes what workers committed, while the engine still works
        self._dispose()
        super().stop()

    def kill(self):
        self.relay.kill()
        self._dispose()
        super().kill()

    def _dispose(self) -> None:
        if self.database.read_engine is not self.database.write_engine:
            self.database.read_engine.dispose()
        release_sqlite(self._sqlite_claim)
        self._sqlite_claim = None

    def get_dependency(self, worker_ctx) -> WorkerDatabase:
        """One wrapper per worker, however many providers ask for it (the bus does)."""
        found = self.dbs.get(worker_ctx)
        if found is None:
            found = self.dbs[worker_ctx] = WorkerDatabase(self.Session, self.database)
        return found
