"""A throwaway environment for one benchmark run: vhost, databases, services, floors.

Besides the platform it runs the two floor services: ``bench_echo`` (a bare Nameko
``@rpc`` and ``@http``, no database) and ``bench_write`` (one RPC, one durable row:
``bench/write_service.py``), whose table the environment creates in a database of its
own (SQLite or PostgreSQL as the services'). Its URI reaches ``ServiceDatabase`` as
every service's does, through ``DB_URIS`` -- in a copy of config.yaml kept in the run's
work directory, with the one entry added (the platform's services keep config.yaml).
The HTTP ports are free ones picked per run: eventlet listens with ``SO_REUSEPORT``, so
two runs on one port would silently share each other's requests.
"""
from __future__ import annotations

import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import uuid
from importlib import metadata

import requests

from bench.write_service import SERVICE_NAME as WRITE_FLOOR
from common.nameko.discovery import ROOT, service_names
from tools.backlog import wait_until_drained
from tools.ports import BENCH, free_port_block
from tools.stack import ServiceProcess, Stack

ECHO_FLOOR = "bench_echo"
FLOORS = (ECHO_FLOOR, WRITE_FLOOR)  # benchmark-only processes, not the platform's
METRICS_PORTS = 20  # port_base + each service's offset (0-7), + 10 for a second instance
MANAGEMENT = os.environ.get("RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672")
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql+psycopg2://postgres@127.0.0.1:5432")


class BenchEnvironment:
    def __init__(self, *, db: str = "sqlite", services: list[str] | None = None,
                 quiet_window: float = 6.0):
        self.run_id = uuid.uuid4().hex[:8]
        self.quiet_window = quiet_window  # seconds the queues must stay empty
        self.vhost = f"alpes-bench-{self.run_id}"
        self.db = db
        self.workdir = pathlib.Path(tempfile.mkdtemp(prefix="alpes-bench-"))
        self.services = services or [s for s in service_names()]
        amqp = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
        self.amqp_uri = amqp.rstrip("/") + "/" + self.vhost
        self.bff_http = f"127.0.0.1:{_free_port()}"
        # /metrics: a block of the bench's own (tools/ports.py), never the 9400s of a
        # developer's `make run` nor a test run's
        self.metrics_base = free_port_block(METRICS_PORTS, BENCH)
        self.echo_http = f"127.0.0.1:{_free_port()}"
        self.env = {
            "AMQP_URI": self.amqp_uri,
            "LOG_LEVEL": "WARNING",
            "WEB_SERVER_ADDRESS": self.bff_http,
            "PUBLIC_BASE_URL": f"http://{self.bff_http}",
            "METRICS_PORT_BASE": str(self.metrics_base),
            "BFF_CLICK_JOURNAL_DIR": str(self.workdir / "clicks"),
            "ALPES_JWT_SECRET": os.environ.get("ALPES_JWT_SECRET",
                                               f"bench-{uuid.uuid4().hex}{uuid.uuid4().hex}"),
            # one client IP and one token drive all the load: lift the per-client limits
            **{f"BFF_RATE_{name}": "100000000" for name in (
                "TOKEN", "POSTBACK", "SIGNUP", "REDIRECT", "PUBLIC")},
        }
        if db == "postgres":
            self.env.update(DB_PREFIX=f"{PG_SERVER}/alpes_bench_{self.run_id}_", DB_SUFFIX="")
        else:
            self.env.update(DB_PREFIX=f"sqlite:///{self.workdir}/", DB_SUFFIX=".db")
        self.write_floor_uri = f"{self.env['DB_PREFIX']}{WRITE_FLOOR}{self.env['DB_SUFFIX']}"
        self.stack: Stack | None = None

    # lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> "BenchEnvironment":
        auth, base = _management()
        requests.put(f"{base}/api/vhosts/{self.vhost}", auth=auth, timeout=10).raise_for_status()
        requests.put(f"{base}/api/permissions/{self.vhost}/{auth[0]}", auth=auth, timeout=10,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)  # no service process outlives a failed start
            raise
        return self

    def _start(self) -> None:
        for command in ("migrate", "topology"):
            self._tool(command)
        self._create_write_floor_table()
        self.stack = Stack(self.services, env=self.env, log_dir=self.workdir / "logs")
        # the echo floor answers RPC and, on its own port, HTTP (the BFF holds its own)
        self.stack.add(ECHO_FLOOR, "bench.echo_service",
                       env={"WEB_SERVER_ADDRESS": self.echo_http})
        self.stack.processes[WRITE_FLOOR] = ServiceProcess(
            WRITE_FLOOR, str(self._write_floor_config()), self.stack.env,
            # the class named: the module also holds the HealthMixin it inherits
            self.workdir / "logs", module="bench.write_service:BenchWriteService")
        self.stack.start(timeout=90)

    def __exit__(self, *exc_info) -> None:
        if self.stack:
            self.stack.stop()
        auth, base = _management()
        requests.delete(f"{base}/api/vhosts/{self.vhost}", auth=auth, timeout=10)
        if self.db == "postgres":
            from common.seedwork.infrastructure.database import drop_database

            for uri in [f"{self.env['DB_PREFIX']}{name}" for name in self.services] + [
                    self.write_floor_uri]:
                try:
                    drop_database(uri)
                except Exception:
                    pass

    def _create_write_floor_table(self) -> None:
        """The write floor's database and its table (a fresh one per run, as the
        services' are)."""
        from bench.write_service import metadata
        from common.seedwork.infrastructure.database import Database, ensure_database_exists

        ensure_database_exists(self.write_floor_uri)
        database = Database(self.write_floor_uri)
        try:
            metadata.create_all(database.write_engine)
        finally:
            database.dispose()

    def _write_floor_config(self) -> pathlib.Path:
        """config.yaml plus the write floor's ``DB_URIS`` entry (nameko-sqlalchemy reads
        the URI from there and nowhere else)."""
        text = (ROOT / "config.yaml").read_text()
        marker = "\nDB_URIS:\n"
        if marker not in text:
            raise RuntimeError("config.yaml has no top-level DB_URIS mapping")
        entry = f'  "{WRITE_FLOOR}:Base": "{self.write_floor_uri}"\n'
        path = self.workdir / "config.yaml"
        path.write_text(text.replace(marker, marker + entry, 1))
        return path

    def _tool(self, command: str) -> None:
        """``alpes --config config.yaml <command>``, as ``make run`` runs it."""
        alpes = pathlib.Path(sys.executable).with_name("alpes")
        subprocess.run([str(alpes), "--config", "config.yaml", command], cwd=ROOT,
                       env={**os.environ, **self.env}, check=True, capture_output=True)

    @property
    def config(self) -> dict:
        return self.stack.config()

    def restart_with(self, name: str, module: str | None = None) -> None:
        self.stack.restart(name)

    def wait_quiet(self, timeout: float = 180.0) -> float:
        """Wait until the handler queues have stayed empty for ``quiet_window`` seconds:
        one measurement's backlog must not be billed to the next. Returns the seconds
        waited."""
        auth, base = _management()
        return wait_until_drained(f"{base}/api", auth, self.vhost, window=self.quiet_window,
                                  timeout=timeout)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds (user + system) used so far by each service process and by this
        load-generating process ("bench client")."""
        used = {name: seconds for name, process in self.stack.processes.items()
                if (seconds := _process_cpu_seconds(process.process.pid)) is not None}
        times = os.times()
        return {**used, "bench client": times.user + times.system}

    # description -------------------------------------------------------------------------
    def describe(self) -> dict:
        auth, base = _management()
        try:
            rabbit = requests.get(f"{base}/api/overview", auth=auth, timeout=5).json()
            rabbit_version = rabbit.get("rabbitmq_version")
        except Exception:
            rabbit_version = None
        return {
            "machine": {
                "platform": platform.platform(), "cpus": os.cpu_count(),
                "cpu_model": _cpu_model(), "memory_gb": _memory_gb(),
            },
            "versions": {
                "python": sys.version.split()[0], "rabbitmq": rabbit_version,
                **{name: _version(name) for name in (
                    "nameko", "eventlet", "kombu", "amqp", "SQLAlchemy", "marshmallow",
                    "psycopg2-binary")},
            },
            "git_commit": _git_commit(),
            "db": self.db,
            # PostgreSQL connections per process: pool + as many again (max_connections)
            "db_pool_size": (int(self.config.get("DB_POOL_SIZE") or 10)
                             if self.db == "postgres" else None),
            "services": list(self.services),
        }


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def platform_processes(cpu: dict[str, float]) -> dict[str, float]:
    """The platform's share of a ``cpu_ms_per_call`` (or ``cpu_seconds``) mapping: not
    the load client, the load tools, nor the floor services."""
    return {name: value for name, value in cpu.items()
            if name not in FLOORS and name not in LOAD_PROCESSES}


LOAD_PROCESSES = ("bench client", "wrk")


def _process_cpu_seconds(pid: int) -> float | None:
    """utime + stime from /proc/<pid>/stat (Linux); None when unreadable."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _management() -> tuple[tuple[str, str], str]:
    from urllib.parse import urlsplit

    parts = urlsplit(MANAGEMENT)
    return (parts.username or "guest", parts.password or "guest"), \
        f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}"


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str | None:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _memory_gb() -> float | None:
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        return None
    return None


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True).stdout.strip() or None
    except OSError:
        return None
