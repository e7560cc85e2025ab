"""``alpes``, the operator command line, where no broker is needed: help, argument errors,
exit codes, and what it prints for each answer (or failure) of a stubbed RPC proxy."""
from __future__ import annotations

import json
import sys

import click
import pytest
from click.testing import CliRunner
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

from common.seedwork.errors import NotFound, ServiceUnavailable, ValidationError
from services.bff import tokens
from services.bff.auth import SECRET_ENV, TokenCodec
from tests.unit.bff.harness import SECRET, new_id
from tools import cli, stack

COMMANDS = {"run", "serve", "migrate", "topology", "shell", "health", "token",
            "dead-letters", "payouts", "partners", "users", "webhooks"}


def invoke(*args: str, env: dict | None = None) -> click.testing.Result:
    return CliRunner().invoke(cli.alpes, list(args), env=env, prog_name="alpes")


def every_command(group: click.Group = cli.alpes, path: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))


def test_help_lists_the_commands():
    result = invoke("--help")
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines()
              if line.strip()}
    assert listed == COMMANDS


@pytest.mark.parametrize("path", sorted(every_command()), ids=" ".join)
def test_every_command_has_help(path):
    result = invoke(*path, "--help")
    assert result.exit_code == 0, result.output
    assert f"Usage: alpes {' '.join(path)}" in result.output


def test_the_subcommands_an_operator_needs():
    groups = {name: set(command.commands) for name, command in cli.alpes.commands.items()
              if isinstance(command, click.Group)}
    assert groups == {"token": {"mint"}, "dead-letters": {"list", "replay"},
                      "payouts": {"run", "list", "retry"},
                      "partners": {"verify", "activate", "suspend"},
                      "users": {"create-admin", "reset-password"}, "webhooks": {"new-key"}}


# --- usage errors: exit 2 -------------------------------------------------------------
@pytest.mark.parametrize("args, says", [
    (("payouts", "run"), "--currency"),
    (("payouts", "run", "--currency", "USD", "--min-amount", "ten"), "not a decimal"),
    (("payouts", "run", "--currency", "USD", "--min-amount", "-1"), "positive"),
    (("payouts", "retry"), "PAYOUT_ID"),
    (("partners", "suspend", "p-1"), "--reason"),
    (("dead-letters", "replay"), "--id ID"),
    (("dead-letters", "replay", "--id", "x", "--all"), "--id ID"),
    (("dead-letters", "list", "--service", "nosuch"), "no such service: nosuch"),
    (("run", "partners", "nosuch"), "no such service: nosuch"),
    (("migrate", "nosuch"), "no such service"),
    (("health",), "SERVICE"),
    (("health", "nosuch"), "no such service: nosuch"),
    (("token", "mint", "--role", "root", "--sub", "x"), "root"),
    (("webhooks", "new-key"), "--id"),
    (("webhooks", "new-key", "--id", "no spaces"), "a key id is 1-32"),
    (("nosuch",), "No such command"),
])
def test_usage_errors_exit_2_and_say_why(args, says):
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert says in result.output


def test_a_new_webhooks_key_is_a_ring_entry_of_its_own():
    from services.webhooks.infrastructure.sealing import KeyRing

    first, second = (invoke("webhooks", "new-key", "--id", "2026-12") for _ in range(2))
    assert first.exit_code == 0 and first.output.startswith("2026-12:")
    assert first.output != second.output
    ring = KeyRing.parse(first.output.strip())
    assert ring.open(ring.seal("whsec_x", "secret"), "secret") == "whsec_x"


def test_a_missing_config_file_is_a_usage_error(tmp_path):
    missing = tmp_path / "nope.yaml"
    result = invoke("--config", str(missing), "payouts", "list")
    assert result.exit_code == 2 and f"{missing} does not exist" in result.output
    from_env = invoke("payouts", "list", env={"ALPES_CONFIG": str(missing)})
    assert from_env.exit_code == 2 and "ALPES_CONFIG" in from_env.output


# --- tokens ---------------------------------------------------------------------------
def test_token_mint_prints_a_token_the_bff_reads(monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    partner_id = new_id()
    result = invoke("token", "mint", "--role", "partner", "--sub", partner_id, "--ttl", "60")
    assert result.exit_code == 0, result.output
    principal = TokenCodec(SECRET).read(result.stdout.strip())
    assert (principal.role, principal.subject) == ("partner", partner_id)


def test_token_mint_without_a_secret_explains_and_fails(monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    result = invoke("token", "mint", "--role", "admin", "--sub", "ops")
    assert result.exit_code == 2 and SECRET_ENV in result.stderr and result.stdout == ""


def test_a_brand_token_needs_a_brand_id(monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    result = invoke("token", "mint", "--role", "brand", "--sub", "acme")
    assert result.exit_code == 2 and "UUID" in result.stderr


def test_minting_stays_a_function_tools_import():
    token = tokens.mint(role="admin", subject="bench", secret=SECRET)
    assert TokenCodec(SECRET).read(token).subject == "bench"


# --- RPC: answers and failures ----------------------------------------------------------
class FakeCluster:
    """Stands in for ``ClusterRpcProxy``: answers (or raises) per ``service.method``."""

    def __init__(self, answers: dict):
        self.answers = answers
        self.calls: list[tuple] = []
        self.configs: list[dict] = []
        self.timeouts: list[float] = []

    def __call__(self, config, timeout=None):
        self.configs.append(config)
        self.timeouts.append(timeout)
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __getattr__(self, service):
        return _Service(self, service)


class _Service:
    def __init__(self, cluster, name):
        self.cluster, self.name = cluster, name

    def __getattr__(self, method):
        def call(*args):
            key = f"{self.name}.{method}"
            self.cluster.calls.append((key, args))
            answer = self.cluster.answers[key]
            if isinstance(answer, BaseException):
                raise answer
            return answer(*args) if callable(answer) else answer
        return call


@pytest.fixture
def cluster(monkeypatch):
    fake = FakeCluster({})
    import nameko.standalone.rpc

    monkeypatch.setattr(nameko.standalone.rpc, "ClusterRpcProxy", fake)
    return fake


PARTNER = {"partner_id": "p-1", "name": "Ana Ruiz", "email": "ana@example.com",
           "status": "SUSPENDED", "kyc_status": "VERIFIED", "suspension_reason": "fraud review"}


@pytest.mark.parametrize("error, code, says", [
    (ValidationError(fields={"partner_id": ["Not a valid UUID."], "payout_method": {
        "email": ["Not a valid email address."]}}), 1,
     ["error: partners.suspend_partner refused the input: The input is invalid.",
      "  partner_id: Not a valid UUID.", "  payout_method.email: Not a valid email address."]),
    (NotFound("Partner p-1 does not exist."), 1,
     ["error: partners.suspend_partner refused (not_found): Partner p-1 does not exist."]),
    (ServiceUnavailable(), 3,
     ["error: partners.suspend_partner: A service did not answer in time."]),
    (UnknownService("partners"), 3,
     ["error: the partners service is not running (start it: make run)"]),
    (RpcTimeout(5), 3, ["error: partners.suspend_partner did not answer within 5 s"]),
    (RemoteError("KeyError", "'x'"), 1, ["error: partners.suspend_partner failed: KeyError: 'x'"]),
    (ConnectionRefusedError(111, "Connection refused"), 3,
     ["error: the broker at amqp://guest:***@127.0.0.1:5672/ does not answer"]),
])
def test_each_failure_is_one_clear_message_and_an_exit_code(cluster, error, code, says):
    cluster.answers["partners.suspend_partner"] = error
    result = invoke("partners", "suspend", "p-1", "--reason", "fraud review")
    assert result.exit_code == code, result.output
    assert result.stdout == "" and "Traceback" not in result.output
    lines = result.stderr.splitlines()
    for expected, line in zip(says, lines, strict=False):
        assert line.startswith(expected), result.stderr
    assert len(lines) == len(says)


def test_partners_commands_call_the_service_and_print_the_partner(cluster):
    cluster.answers.update({"partners.verify_partner": {**PARTNER, "status": "PENDING",
                                                        "suspension_reason": None},
                            "partners.suspend_partner": PARTNER})
    verified = invoke("partners", "verify", "p-1")
    assert verified.exit_code == 0
    assert verified.stdout == ("partner p-1  Ana Ruiz <ana@example.com>  status PENDING  "
                               "KYC VERIFIED\n")
    suspended = invoke("partners", "suspend", "p-1", "--reason", "fraud review", "--json")
    assert json.loads(suspended.stdout) == PARTNER
    assert cluster.calls == [("partners.verify_partner", ("p-1",)),
                             ("partners.suspend_partner", ("p-1", "fraud review"))]


def test_create_admin_reads_the_password_from_stdin_and_never_prints_it(cluster):
    cluster.answers["identity.create_admin"] = lambda payload: {
        "account_id": "acc-1", "email": payload["email"], "role": "admin"}
    created = CliRunner().invoke(cli.alpes, ["users", "create-admin", "--email",
                                             "ops@example.com", "--password-stdin"],
                                 input="a long secret phrase\n", prog_name="alpes")
    assert created.exit_code == 0, created.output
    assert created.stdout == "admin acc-1  ops@example.com\n"
    assert cluster.calls == [("identity.create_admin", (
        {"email": "ops@example.com", "password": "a long secret phrase"},))]
    cluster.answers["identity.create_admin"] = ValidationError(
        fields={"password": ["Must be at least 12 characters."]})
    refused = CliRunner().invoke(cli.alpes, ["users", "create-admin", "--email", "o@x.com",
                                             "--password-stdin"], input="short\n",
                                 prog_name="alpes")
    assert refused.exit_code == 1 and "password: Must be at least 12" in refused.stderr
    assert "short" not in refused.output


def test_reset_password_prints_the_link_alone_on_stdout(cluster, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://partners.example.com/")
    cluster.answers["identity.issue_password_reset"] = lambda payload: {
        "token": "pwr_abc", "expires_at": "2026-12-07T12:00:00Z",
        "account": {"account_id": "acc-1", "email": payload["email"], "role": "partner"}}
    issued = CliRunner().invoke(cli.alpes, ["users", "reset-password", "--email",
                                            "bea@example.com"], prog_name="alpes")
    assert issued.exit_code == 0, issued.output
    assert issued.stdout == "https://partners.example.com/app/reset#token=pwr_abc\n"
    assert "bea@example.com (partner), until 2026-12-07T12:00:00Z" in issued.stderr
    assert cluster.calls == [("identity.issue_password_reset", (
        {"email": "bea@example.com", "issued_by": "operator:cli"},))]
    cluster.answers["identity.issue_password_reset"] = NotFound(
        "No account has this email.", {"email": ["No account."]})
    unknown = CliRunner().invoke(cli.alpes, ["users", "reset-password", "--email", "x@y.co"],
                                 prog_name="alpes")
    assert unknown.exit_code == 1 and "No account" in unknown.stderr


RUN = {"cycle": "2026-05-09", "currency": "USD",
       "min_amount": {"amount": "10.00", "currency": "USD"},
       "started": [{"partner_id": "p-1", "payable": {"amount": "20.00", "currency": "USD"},
                    "payout_id": "po-1"}],
       "skipped": [{"partner_id": "p-2", "payable": {"amount": "30.00", "currency": "USD"},
                    "reason": "partner_suspended", "payout_id": None}]}


def _payout(status: str) -> dict:
    return {"payout_id": "po-1", "partner_id": "p-1", "currency": "USD", "cycle": "2026-05-09",
            "status": status, "amount": {"amount": "20.00", "currency": "USD"}, "reason": None}


def test_payouts_run_sends_the_threshold_and_lists_started_and_skipped(cluster):
    cluster.answers["payouts.run_payouts"] = RUN
    result = invoke("payouts", "run", "--currency", "usd", "--min-amount", "10")
    assert result.exit_code == 0, result.output
    assert cluster.calls == [("payouts.run_payouts", ({"currency": "USD", "min_amount": "10"},))]
    assert result.stdout.splitlines() == [
        "cycle 2026-05-09, USD, threshold 10.00 USD: 1 started, 1 skipped",
        "  started  partner p-1  20.00 USD  payout po-1",
        "  skipped  partner p-2  30.00 USD  partner_suspended",
    ]
    assert result.stderr == ""


def test_payouts_run_wait_follows_each_payout_to_the_end(cluster, monkeypatch):
    monkeypatch.setattr(cli.time, "sleep", lambda seconds: None)
    statuses = iter(["HELD", "CONFIRMING", "PAID"])
    cluster.answers.update({"payouts.run_payouts": RUN,
                            "payouts.get_payout": lambda payout_id: _payout(next(statuses))})
    result = invoke("payouts", "run", "--currency", "USD", "--cycle", "c1", "--wait")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        "  PAID     partner p-1  20.00 USD  payout po-1  cycle 2026-05-09")
    assert cluster.calls[0] == ("payouts.run_payouts", ({"currency": "USD", "cycle": "c1"},))


def test_payouts_run_wait_exits_1_when_a_payout_fails(cluster, monkeypatch):
    monkeypatch.setattr(cli.time, "sleep", lambda seconds: None)
    cluster.answers.update({"payouts.run_payouts": RUN,
                            "payouts.get_payout": {**_payout("FAILED"), "reason": "declined"}})
    result = invoke("payouts", "run", "--currency", "USD", "--wait", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["settled"]["po-1"]["status"] == "FAILED"
    assert "1 payout(s) not paid: po-1 FAILED" in result.stderr


def test_payouts_list_and_retry(cluster):
    cluster.answers.update({
        "payouts.list_payouts": {"items": [_payout("PAID")], "page": 1, "page_size": 20,
                                 "total": 1},
        "payouts.retry_payout": _payout("PENDING")})
    listed = invoke("payouts", "list", "--status", "paid", "--partner", "p-1")
    assert listed.stdout.splitlines() == [
        "1 payout(s)", "  PAID     partner p-1  20.00 USD  payout po-1  cycle 2026-05-09"]
    retried = invoke("payouts", "retry", "po-1")
    assert retried.exit_code == 0 and retried.stdout.startswith("PENDING  partner p-1")
    assert cluster.calls == [
        ("payouts.list_payouts", ({"page": 1, "page_size": 20, "partner_id": "p-1",
                                   "status": "PAID"},)),
        ("payouts.retry_payout", ("po-1",))]


def test_the_config_and_timeout_reach_the_proxy(cluster, tmp_path):
    config = tmp_path / "other.yaml"
    config.write_text("AMQP_URI: amqp://guest:guest@elsewhere:5672/\nRPC_TIMEOUT_SECONDS: 7\n")
    cluster.answers["payouts.retry_payout"] = _payout("PENDING")
    assert invoke("payouts", "retry", "po-1", "--config", str(config)).exit_code == 0
    assert invoke("--config", str(config), "--timeout", "2", "payouts", "retry", "po-1"
                  ).exit_code == 0
    assert [c["AMQP_URI"] for c in cluster.configs] == ["amqp://guest:guest@elsewhere:5672/"] * 2
    assert cluster.timeouts == [7.0, 2.0]


# --- health (the Kubernetes readiness probes) ------------------------------------------------
@pytest.mark.parametrize("answer, code, stdout", [
    ({"service": "tracking", "status": "ok", "database": "ok"}, 0,
     "tracking: ok (database ok)\n"),
    ({"service": "bff", "status": "ok"}, 0, "bff: ok\n"),
    ({"service": "tracking", "status": "degraded", "database": "unavailable"}, 1,
     "tracking: degraded (database unavailable)\n"),
])
def test_health_exits_0_only_when_the_service_answers_ok(cluster, answer, code, stdout):
    service = answer["service"]
    cluster.answers[f"{service}.health"] = answer
    result = invoke("health", service)
    assert result.exit_code == code, result.output
    assert result.stdout == stdout
    assert result.stderr == ("error: not healthy: tracking: degraded (database unavailable)\n"
                             if code else "")
    assert cluster.calls == [(f"{service}.health", ())]
    assert cluster.timeouts == [2.0]  # a probe's budget, not RPC_TIMEOUT_SECONDS


@pytest.mark.parametrize("error, says", [
    (RpcTimeout(0.5), "error: payouts.health did not answer within 0.5 s"),
    (UnknownService("payouts"), "error: the payouts service is not running"),
    (ConnectionRefusedError(111, "Connection refused"), "error: the broker at amqp://"),
])
def test_health_without_an_answer_exits_3(cluster, error, says):
    cluster.answers["payouts.health"] = error
    result = invoke("--timeout", "0.5", "health", "payouts")
    assert result.exit_code == 3, result.output
    assert result.stderr.startswith(says) and result.stdout == ""
    assert cluster.timeouts == [0.5]


def test_health_json_prints_the_services_report(cluster):
    cluster.answers["partners.health"] = {"service": "partners", "status": "ok",
                                          "database": "ok"}
    result = invoke("health", "partners", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == cluster.answers["partners.health"]


# --- dead letters (the library stubbed) ---------------------------------------------------
LETTER = {"id": "dl-1", "service": "payouts", "handler": "payouts.on_partner_registered",
          "queue": "q", "reason": "failed", "event_id": "e-1", "event_type": "partner_registered",
          "source": "partners", "version": 1, "attempts": 5, "error": "boom",
          "failed_at": "2026-05-09T10:00:00Z", "content_type": "application/json",
          "raw_body": {"encoding": "utf-8", "text": "{}"}, "refused": None}


def test_dead_letters_list_prints_each_reason(monkeypatch):
    from common.nameko import dead_letters

    monkeypatch.setattr(dead_letters, "list_dead_letters",
                        lambda uri, services: [LETTER] if services == ["payouts"] else [])
    result = invoke("dead-letters", "list")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "1 dead letter(s)"
    assert "[failed]  partners.partner_registered v1  event e-1" in result.stdout
    as_json = invoke("dead-letters", "list", "--service", "payouts", "--json")
    assert json.loads(as_json.stdout) == [LETTER]


def test_a_refused_or_unknown_replay_exits_1(monkeypatch):
    from common.nameko import dead_letters

    refused = {**LETTER, "refused": "unknown_version: v9"}
    monkeypatch.setattr(dead_letters, "replay", lambda uri, **kw: (
        [refused] if kw["services"] == ["payouts"] else []))
    result = invoke("dead-letters", "replay", "--all")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == "0 replayed, 1 refused"
    assert "NOT replayed: it would be dead-lettered again" in result.stdout
    assert "dlq.payouts: 0 replayed, 1 refused" in result.stderr.splitlines()  # progress
    monkeypatch.setattr(dead_letters, "replay", lambda uri, **kw: [])
    unknown = invoke("dead-letters", "replay", "--id", "nope")
    assert unknown.exit_code == 1 and "error: no dead letter nope" in unknown.stderr


def test_dead_letters_without_a_broker_exit_3(monkeypatch):
    from common.nameko import dead_letters

    def refuse(uri, services):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(dead_letters, "list_dead_letters", refuse)
    result = invoke("dead-letters", "list")
    assert result.exit_code == 3 and "does not answer" in result.stderr


# --- alpes run ------------------------------------------------------------------------------
def test_run_exits_1_when_a_service_cannot_start(monkeypatch, capsys):
    """`make run` fails loudly: a service that exits during start-up stops the others and
    makes the runner answer 1 (it once printed the failure and exited 0)."""
    monkeypatch.setattr(stack.ServiceProcess, "command", property(
        lambda self: [sys.executable, "-c", "import sys; sys.exit(4)"]))
    monkeypatch.setenv("AMQP_URI", "amqp://guest:guest@127.0.0.1:1/")  # no broker needed
    assert stack.run(["partners"], ready_timeout=20) == 1
    out = capsys.readouterr()
    assert "start-up failed: partners exited with 4" in out.err
    assert "did not run cleanly (exit 1)" in out.out


def test_run_answers_1_when_a_service_dies_after_start(monkeypatch, capsys):
    ready = []
    monkeypatch.setattr(stack.ServiceProcess, "command", property(
        lambda self: [sys.executable, "-c", "import time; time.sleep(1.5)"]))
    monkeypatch.setattr(stack.Stack, "wait_ready", lambda self, **kw: ready.append(True))
    monkeypatch.setattr(stack.Stack, "describe", lambda self: "running")
    assert stack.run(["partners"]) == 1
    assert ready and "service(s) exited: partners (exit 0)" in capsys.readouterr().err


def test_a_bff_is_ready_only_once_its_own_http_port_answers():
    """Its RPC answers `health` before its web server binds: a port another process
    holds (listening, never answering) is not the BFF's, an HTTP answer of any status
    is, and a service without HTTP needs none."""
    import http.server
    import socket
    import threading

    config = {"WEB_SERVER_ADDRESS": "0.0.0.0:1"}

    def bff_on(port: int) -> stack.ServiceProcess:
        return stack.ServiceProcess("bff", "config.yaml",
                                    {"WEB_SERVER_ADDRESS": f"0.0.0.0:{port}"}, None)

    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        assert not stack._http_answers(bff_on(squatter.getsockname()[1]), config)

    class Unavailable(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_error(503)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Unavailable)
    threading.Thread(target=server.handle_request, daemon=True).start()
    try:
        assert stack._http_answers(bff_on(server.server_address[1]), config)
    finally:
        server.server_close()
    assert stack._http_answers(stack.ServiceProcess("partners", "config.yaml", {}, None),
                               config)
