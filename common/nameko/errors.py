"""Typed RPC errors.

Nameko serialises an exception raised by an RPC method as its class path and ``args``.
Registering our error classes in ``nameko.exceptions.registry`` makes the caller's
proxy raise the same class (``ValidationError`` with ``.fields``...) instead of a bare
``RemoteError``. A caller that has not imported this module still gets a RemoteError
whose ``value`` is the error's JSON text: ``{"code", "message", "fields"}``.
"""
from __future__ import annotations

from nameko.exceptions import RemoteError, get_module_path, registry

from common.seedwork.errors import DomainError, on_error_class_defined


def _register(error_class: type) -> None:
    registry[get_module_path(error_class)] = error_class


on_error_class_defined(_register)

EXPECTED_ERRORS = (DomainError,)
"""Errors that are part of an RPC's contract: not logged as failures of the service."""

__all__ = ["EXPECTED_ERRORS", "RemoteError"]
