"""Domain refusals re-raised as the typed errors the campaigns contract publishes.

A caller (the BFF, commissions...) imports ``common.contracts``, never this service, so
an error class defined here would reach it as a bare RemoteError. Each domain refusal
has the ``code`` of a class in ``common.contracts.campaigns.ERRORS``; crossing the RPC
boundary, it becomes that class, with the same message and fields.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from common.contracts.campaigns import ERRORS
from common.seedwork.errors import BusinessRuleViolation

PUBLISHED = {error.code: error for error in ERRORS}


@contextlib.contextmanager
def as_published_errors() -> Iterator[None]:
    try:
        yield
    except BusinessRuleViolation as refusal:
        published = PUBLISHED.get(refusal.code)
        if published is None or type(refusal) is published:
            raise
        raise published(refusal.message, refusal.fields) from None
