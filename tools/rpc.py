"""The command line's calls to the services: RPC with a timeout, and every way a call can
fail turned into one clear message and an exit code.

Exit codes (every ``alpes`` command): 0 done; 1 refused -- the service said no (a typed
error from ``common.seedwork.errors``: invalid input, not found, conflict, a business
rule) or the work asked for did not happen; 2 usage (a bad option, a missing config
file; click's own code); 3 unavailable -- the broker, a database or a service did not
answer.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import click

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3


class Failure(click.ClickException):
    """``error: <message>`` on stderr (then one indented line per detail), and exit."""

    def __init__(self, message: str, exit_code: int = EXIT_REFUSED,
                 details: list[str] | None = None):
        super().__init__(message)
        self.exit_code = exit_code
        self.details = list(details or [])

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)
        for line in self.details:
            click.echo(f"  {line}", err=True)


def refused(message: str, details: list[str] | None = None) -> Failure:
    return Failure(message, EXIT_REFUSED, details)


def unavailable(message: str) -> Failure:
    return Failure(message, EXIT_UNAVAILABLE)


def field_lines(fields: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """``name: message`` per message of a ValidationError's ``fields`` (nested input as
    dotted names)."""
    for name in sorted(fields, key=str):
        messages = fields[name]
        path = f"{prefix}{name}"
        if isinstance(messages, Mapping):
            yield from field_lines(messages, f"{path}.")
        elif isinstance(messages, list | tuple):
            for message in messages:
                if isinstance(message, Mapping):
                    yield from field_lines(message, f"{path}.")
                else:
                    yield f"{path}: {message}"
        else:
            yield f"{path}: {messages}"


def broker_errors() -> tuple[type[BaseException], ...]:
    """What connecting to the broker raises when it is down or refuses us."""
    import amqp.exceptions
    import kombu.exceptions

    return (OSError, kombu.exceptions.OperationalError, amqp.exceptions.AccessRefused)


def broker_unreachable(config: Mapping[str, Any], error: BaseException) -> Failure:
    from tools.stack import redact

    return unavailable(f"the broker at {redact(str(config.get('AMQP_URI')))} does not answer "
                       f"({type(error).__name__}: {error}); is RabbitMQ running? (make infra)")


def call(config: Mapping[str, Any], service: str, method: str, *args: Any,
         timeout: float | None = None) -> Any:
    """``<service>.<method>(*args)`` over RPC, at most ``timeout`` seconds
    (``RPC_TIMEOUT_SECONDS`` by default); failures raise :class:`Failure`."""
    from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy

    import common.nameko  # noqa: F401  (remote errors arrive as their own classes)
    from common.seedwork.errors import DomainError, ServiceUnavailable, ValidationError

    seconds = float(timeout or config.get("RPC_TIMEOUT_SECONDS") or 5)
    name = f"{service}.{method}"
    try:
        with ClusterRpcProxy(dict(config), timeout=seconds) as rpc:
            return getattr(getattr(rpc, service), method)(*args)
    except ValidationError as error:
        raise refused(f"{name} refused the input: {error.message}",
                      list(field_lines(error.fields))) from None
    except ServiceUnavailable as error:
        raise unavailable(f"{name}: {error.message}") from None
    except DomainError as error:
        raise refused(f"{name} refused ({error.code}): {error.message}") from None
    except UnknownService:
        raise unavailable(f"the {service} service is not running (start it: make run)") from None
    except RpcTimeout:
        late = f"{name} did not answer within {seconds:g} s (is {service} running?)"
        raise unavailable(late) from None
    except RemoteError as error:
        raise refused(f"{name} failed: {error.exc_type}: {error.value}") from None
    except broker_errors() as error:
        raise broker_unreachable(config, error) from None
