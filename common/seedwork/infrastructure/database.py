"""Engines for one service's database: SQLite (default) or PostgreSQL.

SQLite runs in WAL mode; write transactions start with ``BEGIN IMMEDIATE`` (so two
writers never deadlock upgrading a read lock) and, inside one process, also take that
file's one process-wide lock (a green lock once eventlet has patched ``threading``) so a
green thread waiting for SQLite never blocks the hub while another green thread holds
the write lock.
Reads use a separate engine in autocommit mode and never wait for writers.

PostgreSQL uses psycopg2; under eventlet the Nameko provider installs psycogreen's
wait callback so queries yield to the hub. Both engines are the same there.
"""
from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url

SQLITE_BUSY_TIMEOUT_S = 30
# libpq settings for psycopg2: a connection whose path went dead (no RST, no FIN) is
# found by TCP keepalives (~25 s idle) or by data left unacknowledged for 30 s, instead
# of a worker (or the outbox relay) waiting for an answer for ever. connect_timeout
# bounds blocking connects (CLI tools); under psycogreen connects are asynchronous and
# libpq leaves that bound to the caller.
PSYCOPG2_CONNECT_ARGS = {
    "connect_timeout": 5,
    "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
}


class Database:
    """A service database's engines: the write engine (transactions, SQLite's process
    write lock) and the read engine beside it. ``Database(uri)`` builds both; the Nameko
    provider (``common.nameko.database``) builds them through nameko-sqlalchemy and
    hands them over with :meth:`over`."""

    def __init__(self, uri: str, *, echo: bool = False, pool_size: int = 10):
        url = make_url(uri)
        if url.get_backend_name() == "sqlite":
            _ensure_sqlite_dir(url.database)
        write_engine = create_engine(uri, **engine_options(uri, echo=echo, pool_size=pool_size))
        self._adopt(url, write_engine, read_engine_for(write_engine))

    @classmethod
    def over(cls, write_engine: Engine, read_engine: Engine | None = None) -> "Database":
        """Wrap engines made elsewhere (``configure_engine`` must have seen the write one)."""
        database = cls.__new__(cls)
        database._adopt(write_engine.url, write_engine, read_engine or write_engine)
        return database

    def _adopt(self, url, write_engine: Engine, read_engine: Engine) -> None:
        self.url = url
        self.dialect = url.get_backend_name()
        self._write_lock = _process_write_lock(url.database) if self.is_sqlite else None
        self.write_engine = write_engine
        self.read_engine = read_engine

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        if self._write_lock is None:
            yield
            return
        with self._write_lock:
            yield

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction that commits on success and rolls back on error."""
        with self.write_lock(), self.write_engine.connect() as conn:
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def reader(self) -> Iterator[Connection]:
        with self.read_engine.connect() as conn:
            yield conn

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()

    def ping(self) -> bool:
        with self.reader() as conn:
            conn.execute(text("SELECT 1"))
        return True


_WRITE_LOCKS: dict[str, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _process_write_lock(path: str | None) -> threading.Lock:
    """One write lock per SQLite file per process, however many ``Database`` objects
    (containers, tools) open it: no two of its green threads ever wait for each other
    inside SQLite."""
    key = os.path.abspath(path) if path and path != ":memory:" else f"memory:{id(object())}"
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(key, threading.Lock())


def engine_options(uri: str, *, echo: bool = False, pool_size: int = 10) -> dict:
    """``create_engine`` keyword arguments for a service database at ``uri``."""
    url = make_url(uri)
    if url.get_backend_name() == "sqlite":
        return {"echo": echo, "connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S,
                                               "check_same_thread": False}}
    return {"echo": echo, "pool_size": pool_size, "max_overflow": pool_size,
            "pool_pre_ping": True, "connect_args": _connect_args(url)}


def configure_engine(engine: Engine) -> Engine:
    """What every write engine needs beyond its options: on SQLite, WAL and the PRAGMAs
    on each connection and ``BEGIN IMMEDIATE`` for each transaction."""
    if engine.url.get_backend_name() == "sqlite":
        _sqlite_listeners(engine, immediate=True)
    return engine


def read_engine_for(write_engine: Engine) -> Engine:
    """SQLite reads get their own engine (plain ``BEGIN``: they never wait for writers);
    elsewhere reads share the write engine."""
    configure_engine(write_engine)
    if write_engine.url.get_backend_name() != "sqlite":
        return write_engine
    read_engine = create_engine(write_engine.url, echo=write_engine.echo,
                                **{k: v for k, v in engine_options(
                                    str(write_engine.url)).items() if k != "echo"})
    _sqlite_listeners(read_engine, immediate=False)
    return read_engine


def _connect_args(url) -> dict:
    return dict(PSYCOPG2_CONNECT_ARGS) if url.get_driver_name() == "psycopg2" else {}


def _ensure_sqlite_dir(path: str | None) -> None:
    if path and path != ":memory:":
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)


def _sqlite_listeners(engine: Engine, *, immediate: bool) -> None:
    if getattr(engine, "_alpes_configured", False):
        return
    engine._alpes_configured = True

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def ensure_database_exists(uri: str) -> bool:
    """Create the PostgreSQL database named by ``uri`` if missing. True if created."""
    url = make_url(uri)
    if url.get_backend_name() != "postgresql":
        if url.get_backend_name() == "sqlite":
            _ensure_sqlite_dir(url.database)
        return False
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
            ).scalar()
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
                return True
            return False
    finally:
        admin.dispose()


def drop_database(uri: str) -> None:
    url = make_url(uri)
    if url.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(f"{url.database}{suffix}")
        return
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    finally:
        admin.dispose()
