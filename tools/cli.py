"""``alpes``: the one operator command line (installed by pyproject's ``[project.scripts]``).

    alpes [--config config.yaml] COMMAND ...      (``alpes --help``, ``alpes COMMAND --help``)

Platform: ``run``, ``migrate``, ``topology``, ``shell``, ``health``; tokens: ``token mint``; dead
letters: ``dead-letters list|replay``; business operations over RPC: ``payouts
run|list|retry``, ``partners verify|activate|suspend``. Exit codes are in tools/rpc.py:
0 done, 1 refused, 2 usage, 3 unavailable.
"""
from __future__ import annotations

from tools.quiet import quiet_eventlet

quiet_eventlet()  # before anything below imports eventlet

import dataclasses
import json
import logging
import os
import pathlib
import sys
import time
from decimal import Decimal, InvalidOperation
from typing import Any

import click

from tools.rpc import broker_errors, broker_unreachable, call, refused, unavailable

DEFAULT_CONFIG = "config.yaml"
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
PAYOUT_SETTLED = ("PAID", "FAILED", "SKIPPED", "COMPENSATION_FAILED")
PAYOUT_UNPAID = ("FAILED", "COMPENSATION_FAILED")


@dataclasses.dataclass
class Session:
    """What every command shares: the config file, read once when first needed."""

    config_path: str = DEFAULT_CONFIG
    timeout: float | None = None
    _config: dict | None = None

    def config(self) -> dict:
        if self._config is None:
            from common.nameko.config import load_config

            path = pathlib.Path(self.config_path)
            if not path.is_file():
                raise click.BadParameter(
                    f"{path} does not exist (run alpes from the project's directory, or "
                    "pass --config PATH or set ALPES_CONFIG)", param_hint="--config")
            try:
                self._config = load_config(str(path))
            except Exception as error:  # noqa: BLE001 -- YAML, a bad ${VAR}: the file's fault
                raise click.BadParameter(f"{path} cannot be read: {error}",
                                         param_hint="--config") from None
        return self._config

    def call(self, service: str, method: str, *args: Any) -> Any:
        return call(self.config(), service, method, *args, timeout=self.timeout)

    @property
    def amqp_uri(self) -> str:
        return self.config()["AMQP_URI"]


pass_session = click.make_pass_decorator(Session, ensure=True)


def _config_after_command(ctx: click.Context, param, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(Session).config_path = value


config_option = click.option(
    "--config", "config_after", metavar="PATH", default=None, expose_value=False,
    callback=_config_after_command, help="The configuration file (as alpes --config).")
json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print the answer as JSON (for scripts).")


def _services_argument(ctx, param, value: tuple[str, ...]) -> list[str]:
    from common.nameko.discovery import service_names

    known = service_names()
    unknown = [name for name in value if name not in known]
    if unknown:
        raise click.BadParameter(f"no such service: {', '.join(unknown)} "
                                 f"(known: {', '.join(known)})")
    return list(value)


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


def _money(value: dict | None) -> str:
    return f"{value['amount']} {value['currency']}" if value else "-"


# --- the group ------------------------------------------------------------------------
@click.group(context_settings=CONTEXT)
@click.option("--config", "config_path", metavar="PATH", default=DEFAULT_CONFIG,
              envvar="ALPES_CONFIG", show_default=True, show_envvar=True,
              help="The configuration file, read as `nameko run --config` reads it.")
@click.option("--timeout", type=click.FloatRange(min=0.1), metavar="SECONDS",
              help="How long an RPC waits for its answer (default: RPC_TIMEOUT_SECONDS).")
@click.version_option(package_name="alpes-partners", prog_name="alpes")
@click.pass_context
def alpes(ctx: click.Context, config_path: str, timeout: float | None) -> None:
    """Run and operate AlpesPartners.

    Exit codes: 0 done; 1 refused (the service said no, or the work asked for did not
    happen); 2 usage error; 3 unavailable (broker, database or service not answering).
    """
    ctx.obj = Session(config_path=config_path, timeout=timeout)
    logging.getLogger("amqp").setLevel(logging.ERROR)  # a refused call's closing chatter


# --- the platform ---------------------------------------------------------------------
@alpes.command(short_help="Start the services; Ctrl-C stops them.")
@click.argument("services", nargs=-1, metavar="[SERVICE]...", callback=_services_argument)
@click.option("--instances", type=click.IntRange(1, 8), default=1, show_default=True,
              envvar="INSTANCES", help="Processes of each service (PostgreSQL for more "
              "than one: SQLite refuses a second instance).")
@config_option
@pass_session
def run(session: Session, services: list[str], instances: int) -> None:
    """Start every service (or those named), one `nameko run` process each (or
    `--instances N`).

    Prints what runs where once each answers `health`, and prefixes each service's
    output with its name. Ctrl-C (or SIGTERM) stops them all cleanly: exit 0. A service
    that fails to start or dies stops the others too: exit 1. `make run` migrates and
    declares the queues first.
    """
    from tools import stack

    session.config()
    sys.exit(stack.run(services, _config_for_services(session.config_path),
                       instances=instances))


@alpes.command(short_help="Run one service in this process (containers).")
@click.argument("service", callback=lambda ctx, param, value: _services_argument(
    ctx, param, (value,))[0])
@config_option
@pass_session
def serve(session: Session, service: str) -> None:
    """Become `nameko run` for one service: no supervisor process, signals go straight to
    it (a container's command: docker-compose.yml runs `alpes serve <service>`)."""
    from tools.quiet import quiet_env
    from tools.stack import NAMEKO

    session.config()
    os.execve(NAMEKO, [NAMEKO, "run", "--config", session.config_path,
                       f"services.{service}.service"], quiet_env(os.environ))


def _config_for_services(config_path: str) -> str:
    """The config path as the services (started in the project's directory) read it."""
    from common.nameko.discovery import ROOT

    path = pathlib.Path(config_path).resolve()
    return DEFAULT_CONFIG if path == (ROOT / DEFAULT_CONFIG).resolve() else str(path)


@alpes.command()
@click.argument("services", nargs=-1, metavar="[SERVICE]...", callback=_services_argument)
@config_option
@pass_session
def migrate(session: Session, services: list[str]) -> None:
    """Apply the migrations of every service (or of those named).

    Creates a missing PostgreSQL database or SQLite directory first. One line per
    service as it is done.
    """
    from sqlalchemy.exc import OperationalError

    from common.migrate import services_with_migrations, upgrade
    from common.nameko.config import db_uri
    from tools.stack import redact

    logging.basicConfig(level=logging.WARNING)
    config = session.config()
    for service in services or services_with_migrations():
        uri = db_uri(config, service)
        try:
            upgrade(service, uri)
        except OperationalError as error:
            raise unavailable(f"{service}'s database at {redact(uri)} does not answer: "
                              f"{str(error.orig).strip()}") from None
        click.echo(f"migrated {service:12s} -> {redact(uri)}")


@alpes.command(short_help="Declare the event handlers' queues.")
@click.argument("services", nargs=-1, metavar="[SERVICE]...", callback=_services_argument)
@config_option
@pass_session
def topology(session: Session, services: list[str]) -> None:
    """Declare every event handler's queue, retry queue and dead-letter queue.

    Run before any service publishes (make run and make migrate do), so that an event
    sent while its consumer has never run waits for it.
    """
    from common.nameko.discovery import service_class, service_modules
    from common.nameko.queues import QueueMismatch
    from common.nameko.topology import declare

    config = session.config()
    modules = [module for module in service_modules()
               if not services or module.split(".")[1] in services]
    queues: list[str] = []
    for module in modules:
        try:
            queues += declare(config, [service_class(module)])
        except broker_errors() as error:
            raise broker_unreachable(config, error) from None
        except QueueMismatch as error:
            raise refused(str(error)) from None
    click.echo(f"declared {len(queues)} handler queue(s)")
    for queue in queues:
        click.echo(f"  {queue}")


@alpes.command(short_help="An interactive nameko shell (n.rpc.<service>...).")
@config_option
@pass_session
def shell(session: Session) -> None:
    """An interactive `nameko shell` on the platform (`n.rpc.<service>.<method>(...)`),
    without eventlet's deprecation notice."""
    from tools.quiet import quiet_env
    from tools.stack import NAMEKO

    session.config()
    os.execve(NAMEKO, [NAMEKO, "shell", "--config", session.config_path],
              quiet_env(os.environ))


@alpes.command(short_help="Ask a service's health() (exit 0: ok; for probes).")
@click.argument("service", callback=lambda ctx, param, value: _services_argument(
    ctx, param, (value,))[0])
@json_option
@config_option
@pass_session
def health(session: Session, service: str, as_json: bool) -> None:
    """Call SERVICE's `health` RPC, waiting at most --timeout (here 2 s by default).

    Exit 0 when it answers ok; 1 when it answers degraded (its database does not
    answer); 3 when nothing answers (no instance running, or the broker down). Any
    instance of SERVICE may answer: they share its RPC queue. The Kubernetes manifests'
    readiness probes run it (deploy/k8s).
    """
    answer = call(session.config(), service, "health", timeout=session.timeout or 2.0)
    report = answer if isinstance(answer, dict) else {}
    line = f"{service}: {report.get('status')}" + (
        f" (database {report['database']})" if "database" in report else "")
    if as_json:
        _print_json(answer)
    else:
        click.echo(line)
    if report.get("status") != "ok":
        raise refused(f"not healthy: {line}")


# --- tokens ---------------------------------------------------------------------------
@alpes.group()
def token() -> None:
    """Bearer tokens for the HTTP API."""


@token.command("mint")
@click.option("--role", required=True, type=click.Choice(["admin", "brand", "partner"]))
@click.option("--sub", "subject", required=True, metavar="ID",
              help="The brand or partner id (a UUID); any name for an admin.")
@click.option("--ttl", type=click.IntRange(min=1), metavar="SECONDS",
              help="Seconds until it expires (default: BFF.token_ttl_seconds).")
@config_option
@pass_session
def token_mint(session: Session, role: str, subject: str, ttl: int | None) -> None:
    """Print a signed token (HS256 JWT) alone on stdout: TOKEN=$(alpes token mint ...).

    Signed with ALPES_JWT_SECRET from the environment, as the BFF checks it (make
    generates a local one into var/jwt-secret).
    """
    from services.bff.auth import SECRET_ENV, InvalidToken
    from services.bff.settings import from_config
    from services.bff.tokens import mint

    ttl = ttl or from_config(session.config()).token_ttl_seconds
    try:
        click.echo(mint(role, subject, ttl_seconds=ttl))
    except InvalidToken:
        raise click.UsageError(f"set {SECRET_ENV} to a random string of at least 32 "
                               "characters (the BFF must run with the same one)") from None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--sub") from None


# --- dead letters ---------------------------------------------------------------------
@alpes.group("dead-letters", short_help="List and replay dead-lettered events.")
def dead_letters() -> None:
    """Events a handler gave up on: list them, replay them once the cause is fixed."""


service_option = click.option(
    "--service", "services", multiple=True, metavar="NAME", callback=_services_argument,
    help="Only this service's dead letters (repeatable).")


def _each_service(session: Session, services: list[str], work, progress=None) -> list[dict]:
    """``work(service)`` for each service named (default: all), concatenated;
    ``progress(service, found)`` after each."""
    from common.nameko.discovery import service_names

    found: list[dict] = []
    for service in services or service_names():
        try:
            done = work(service)
        except broker_errors() as error:
            raise broker_unreachable(session.config(), error) from None
        found += done
        if progress:
            progress(service, done)
    return found


@dead_letters.command("list")
@service_option
@json_option
@config_option
@pass_session
def dead_letters_list(session: Session, services: list[str], as_json: bool) -> None:
    """Every dead letter with its handler, reason, event and error (read without being
    taken off the queue)."""
    from common.nameko.dead_letters import describe_line, list_dead_letters

    items = _each_service(session, services,
                          lambda service: list_dead_letters(session.amqp_uri, [service]))
    if as_json:
        _print_json(items)
        return
    click.echo(f"{len(items)} dead letter(s)")
    for item in items:
        click.echo(describe_line(item))


@dead_letters.command("replay")
@click.option("--id", "dead_letter_id", metavar="ID", help="The dead letter to replay.")
@click.option("--all", "replay_all", is_flag=True, help="Replay every dead letter.")
@service_option
@json_option
@config_option
@pass_session
def dead_letters_replay(session: Session, dead_letter_id: str | None, replay_all: bool,
                        services: list[str], as_json: bool) -> None:
    """Send dead letters back to the one handler queue each failed in.

    A letter its consumer would dead-letter again at once (poison) is refused and stays.
    Exits 1 when a letter asked for was not replayed (refused, or no such id).
    """
    from common.nameko.dead_letters import describe_line, replay

    if bool(dead_letter_id) == replay_all:
        raise click.UsageError("name one dead letter (--id ID) or ask for --all")
    def progress(service: str, done: list[dict]) -> None:
        if replay_all and not as_json:
            refusals = sum(1 for item in done if item.get("refused"))
            click.echo(f"dlq.{service}: {len(done) - refusals} replayed, {refusals} refused",
                       err=True)

    items = _each_service(session, services,
                          lambda service: replay(session.amqp_uri,
                                                 dead_letter_id=dead_letter_id,
                                                 replay_all=replay_all, services=[service]),
                          progress)
    refused_items = [item for item in items if item.get("refused")]
    if as_json:
        _print_json(items)
    else:
        click.echo(f"{len(items) - len(refused_items)} replayed, "
                   f"{len(refused_items)} refused")
        for item in items:
            click.echo(describe_line(item))
    if dead_letter_id and not items:
        raise refused(f"no dead letter {dead_letter_id}"
                      + (f" in {', '.join(services)}" if services else ""))
    if refused_items:
        raise refused(f"{len(refused_items)} dead letter(s) not replayed (see above)")


# --- payouts --------------------------------------------------------------------------
@alpes.group(short_help="Run, list and retry payouts (RPC).")
def payouts() -> None:
    """Payout runs and payouts (the payouts service, over RPC)."""


def _amount(ctx, param, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not a decimal amount") from None
    if not amount.is_finite() or amount < 0:
        raise click.BadParameter(f"{value!r} must be a positive amount or 0")
    return format(amount, "f")


@payouts.command("run")
@click.option("--currency", required=True, metavar="CODE", help="ISO 4217, e.g. USD.")
@click.option("--min-amount", callback=_amount, metavar="AMOUNT",
              help="Pay partners whose payable balance reaches this (default: "
                   "PAYOUTS.min_amount of the config, 50.00).")
@click.option("--cycle", metavar="NAME",
              help="Idempotency: the same cycle never pays a partner twice (default: today).")
@click.option("--wait", is_flag=True,
              help="Wait until every started payout is settled (paid, failed or skipped).")
@click.option("--wait-timeout", type=click.FloatRange(min=1), default=60.0, show_default=True,
              metavar="SECONDS", help="With --wait: give up after this.")
@json_option
@config_option
@pass_session
def payouts_run(session: Session, currency: str, min_amount: str | None, cycle: str | None,
                wait: bool, wait_timeout: float, as_json: bool) -> None:
    """Start one payout per partner whose payable balance reaches the threshold.

    Lists what it started and whom it skipped, and why. With --wait, follows each
    payout to the end; exits 1 if one did not pay (or is still under way at the
    timeout).
    """
    payload: dict[str, Any] = {"currency": currency.upper()}
    if min_amount is not None:
        payload["min_amount"] = min_amount
    if cycle is not None:
        payload["cycle"] = cycle
    answer = session.call("payouts", "run_payouts", payload)
    settled = (_wait_for_payouts(session, [entry["payout_id"] for entry in answer["started"]],
                                 wait_timeout, quiet=as_json) if wait else {})
    if as_json:
        _print_json({**answer, "settled": settled} if wait else answer)
    else:
        click.echo(f"cycle {answer['cycle']}, {answer['currency']}, threshold "
                   f"{_money(answer['min_amount'])}: {len(answer['started'])} started, "
                   f"{len(answer['skipped'])} skipped")
        for entry in answer["started"]:
            click.echo(f"  started  partner {entry['partner_id']}  {_money(entry['payable'])}"
                       f"  payout {entry['payout_id']}")
        for entry in answer["skipped"]:
            payout = f"  payout {entry['payout_id']}" if entry.get("payout_id") else ""
            click.echo(f"  skipped  partner {entry['partner_id']}  {_money(entry['payable'])}"
                       f"  {entry['reason']}{payout}")
        for payout in settled.values():
            click.echo(_payout_line(payout))
    unpaid = [p for p in settled.values() if p["status"] not in ("PAID", "SKIPPED")]
    if unpaid:
        raise refused(f"{len(unpaid)} payout(s) not paid: "
                      + ", ".join(f"{p['payout_id']} {p['status']}" for p in unpaid))


def _wait_for_payouts(session: Session, payout_ids: list[str], timeout: float,
                      quiet: bool) -> dict[str, dict]:
    latest: dict[str, dict] = {}
    pending = list(payout_ids)
    deadline = time.monotonic() + timeout
    if pending and not quiet:
        click.echo(f"waiting for {len(pending)} payout(s) to settle...", err=True)
    while pending:
        for payout_id in list(pending):
            latest[payout_id] = session.call("payouts", "get_payout", payout_id)
            if latest[payout_id]["status"] in PAYOUT_SETTLED:
                pending.remove(payout_id)
                if not quiet:
                    click.echo(f"  {payout_id} {latest[payout_id]['status']}", err=True)
        if pending and time.monotonic() > deadline:
            break
        if pending:
            time.sleep(0.5)
    return latest


def _payout_line(payout: dict) -> str:
    reason = f"  ({payout['reason']})" if payout.get("reason") else ""
    return (f"  {payout['status']:<8} partner {payout['partner_id']}  "
            f"{_money(payout.get('amount'))}  payout {payout['payout_id']}  "
            f"cycle {payout['cycle']}{reason}")


@payouts.command("list")
@click.option("--partner", "partner_id", metavar="ID", help="Only this partner's.")
@click.option("--status", type=click.Choice(["PENDING", "HELD", "CONFIRMING", "PAID",
                                             "COMPENSATING", "FAILED", "COMPENSATION_FAILED",
                                             "SKIPPED"], case_sensitive=False))
@click.option("--cycle", metavar="NAME")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--page-size", type=click.IntRange(1, 100), default=20, show_default=True)
@json_option
@config_option
@pass_session
def payouts_list(session: Session, partner_id: str | None, status: str | None,
                 cycle: str | None, page: int, page_size: int, as_json: bool) -> None:
    """Payouts, newest first."""
    filters: dict[str, Any] = {"page": page, "page_size": page_size}
    for key, value in (("partner_id", partner_id), ("status", status), ("cycle", cycle)):
        if value is not None:
            filters[key] = value.upper() if key == "status" else value
    answer = session.call("payouts", "list_payouts", filters)
    if as_json:
        _print_json(answer)
        return
    shown = len(answer["items"])
    click.echo(f"{answer['total']} payout(s)"
               + (f", page {answer['page']} ({shown} shown)" if shown < answer["total"] else ""))
    for payout in answer["items"]:
        click.echo(_payout_line(payout))


@payouts.command("retry")
@click.argument("payout_id")
@json_option
@config_option
@pass_session
def payouts_retry(session: Session, payout_id: str, as_json: bool) -> None:
    """Start a FAILED payout again (its saga resumes from the start)."""
    payout = session.call("payouts", "retry_payout", payout_id)
    if as_json:
        _print_json(payout)
    else:
        click.echo(_payout_line(payout).strip())


# --- partners -------------------------------------------------------------------------
@alpes.group(short_help="Verify, activate, suspend partners (RPC).")
def partners() -> None:
    """Partner lifecycle operations (the partners service, over RPC)."""


def _partner_line(partner: dict) -> str:
    reason = (f"  reason: {partner['suspension_reason']}"
              if partner.get("suspension_reason") else "")
    return (f"partner {partner['partner_id']}  {partner['name']} <{partner['email']}>  "
            f"status {partner['status']}  KYC {partner['kyc_status']}{reason}")


def _show_partner(partner: dict, as_json: bool) -> None:
    if as_json:
        _print_json(partner)
    else:
        click.echo(_partner_line(partner))


def _partner_command(name: str, method: str, summary: str):
    @partners.command(name, help=summary)
    @click.argument("partner_id")
    @json_option
    @config_option
    @pass_session
    def command(session: Session, partner_id: str, as_json: bool) -> None:
        _show_partner(session.call("partners", method, partner_id), as_json)

    return command


partners_verify = _partner_command(
    "verify", "verify_partner", "Mark a partner's KYC verified (it can then be activated).")
partners_activate = _partner_command(
    "activate", "activate_partner", "Activate a verified partner: it can enroll and earn.")


@partners.command("suspend")
@click.argument("partner_id")
@click.option("--reason", required=True, help="Why (kept with the partner, sent in the event).")
@json_option
@config_option
@pass_session
def partners_suspend(session: Session, partner_id: str, reason: str, as_json: bool) -> None:
    """Suspend a partner: its enrollments are suspended and its conversions refused."""
    _show_partner(session.call("partners", "suspend_partner", partner_id, reason), as_json)


# --- users and webhooks (tools/users.py, tools/webhooks.py) ------------------------------
from tools.users import users  # noqa: E402  (its own module: identity's commands)
from tools.webhooks import webhooks  # noqa: E402  (its own module: the sealing keys)

alpes.add_command(users)
alpes.add_command(webhooks)


def main() -> None:
    alpes(prog_name="alpes")

