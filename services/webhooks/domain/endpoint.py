"""An owner's webhook endpoint: where its events go, which ones, and with which secret.

* An endpoint belongs to one owner, a brand or a partner, and receives only that
  owner's events (the fan-out decides who owns an event; see application/fanout.py).
* ``secret`` signs every attempt. Rotating it keeps the previous one valid until
  ``previous_secret_expires_at``: both signatures are sent meanwhile. A secret is shown
  to its owner once, when created or rotated, and never again.
* ``consecutive_failures``/``failing_since`` follow the current run of failed attempts.
  The endpoint disables itself (``failing``) once that run has lasted
  ``FailurePolicy.after_failures`` attempts *and* ``FailurePolicy.after`` — every attempt
  for about a whole retry schedule (a day) has failed — and at once (``gone``) when the
  receiver answers 410 Gone. Any delivered attempt ends the run.
* Disabling records ``EndpointDisabled`` (published as ``webhooks.endpoint_disabled``:
  the owner is told). Enabling starts afresh.
"""
from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from datetime import datetime, timedelta

from common.seedwork.domain.entity import AggregateRoot, new_id
from common.seedwork.domain.events import DomainEvent
from common.seedwork.errors import BusinessRuleViolation, ValidationError
from services.webhooks.domain import catalogue, signing

MAX_DESCRIPTION = 500
MAX_EVENT_TYPES = len(catalogue.TYPES)


class EndpointStatus(str, enum.Enum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


class DisabledReason(str, enum.Enum):
    FAILING = "failing"
    GONE = "gone"
    MANUAL = "manual"


@dataclasses.dataclass(frozen=True)
class Owner:
    type: str
    id: str

    def __post_init__(self):
        if self.type not in catalogue.OWNER_TYPES:
            raise ValidationError("Unknown owner type.", {"owner_type": [
                f"Must be one of: {', '.join(catalogue.OWNER_TYPES)}."]})


@dataclasses.dataclass(frozen=True)
class FailurePolicy:
    after_failures: int = 8
    after: timedelta = timedelta(days=1)


class EndpointDisabledRule(BusinessRuleViolation):
    """A test event or a replay needs the endpoint ENABLED."""

    code = "endpoint_disabled"
    default_message = "The endpoint is disabled: enable it first."


@dataclasses.dataclass(frozen=True, kw_only=True)
class EndpointDisabled(DomainEvent):
    endpoint: "EndpointState"
    reason: str


@dataclasses.dataclass(frozen=True)
class EndpointState:
    endpoint_id: str
    owner: Owner
    url: str
    consecutive_failures: int
    failing_since: datetime | None
    disabled_at: datetime | None


def subscription(names: Iterable[str], owner_type: str) -> tuple[str, ...]:
    """The subscription, checked against what this owner type may receive: unique,
    in catalogue order."""
    wanted = list(dict.fromkeys(names))
    if not wanted:
        raise ValidationError("Subscribe to at least one event type.",
                              {"event_types": ["Name at least one event type."]})
    unknown = catalogue.unknown_for(owner_type, wanted)
    if unknown:
        raise ValidationError("Unknown event types.", {"event_types": [
            f"Not an event type a {owner_type} receives: {', '.join(sorted(unknown))}."]})
    order = [kind.name for kind in catalogue.TYPES]
    return tuple(sorted(wanted, key=order.index))


class Endpoint(AggregateRoot):
    def __init__(self, *, id: str, owner: Owner, url: str, description: str,
                 event_types: Iterable[str], status: str, secret: str,
                 previous_secret: str | None, previous_secret_expires_at: datetime | None,
                 consecutive_failures: int, failing_since: datetime | None,
                 disabled_reason: str | None, disabled_at: datetime | None,
                 created_at: datetime, updated_at: datetime):
        self.id = id
        self.owner = owner
        self.url = url
        self.description = description
        self.event_types = tuple(event_types)
        self.status = EndpointStatus(status)
        self.secret = secret
        self.previous_secret = previous_secret
        self.previous_secret_expires_at = previous_secret_expires_at
        self.consecutive_failures = consecutive_failures
        self.failing_since = failing_since
        self.disabled_reason = DisabledReason(disabled_reason) if disabled_reason else None
        self.disabled_at = disabled_at
        self.created_at = created_at
        self.updated_at = updated_at

    @classmethod
    def create(cls, *, owner: Owner, url: str, event_types: Iterable[str], description: str,
               now: datetime) -> "Endpoint":
        return cls(id=new_id(), owner=owner, url=url, description=_description(description),
                   event_types=subscription(event_types, owner.type),
                   status=EndpointStatus.ENABLED.value, secret=signing.new_secret(),
                   previous_secret=None, previous_secret_expires_at=None,
                   consecutive_failures=0, failing_since=None, disabled_reason=None,
                   disabled_at=None, created_at=now, updated_at=now)

    # what it receives ------------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self.status is EndpointStatus.ENABLED

    def subscribes_to(self, event_type: str) -> bool:
        return event_type in self.event_types

    def secrets_in_force(self, now: datetime) -> list[str]:
        """The current secret, and the previous one while its grace period lasts."""
        found = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and \
                now < self.previous_secret_expires_at:
            found.append(self.previous_secret)
        return found

    # the owner's changes ---------------------------------------------------------------------
    def change(self, *, now: datetime, url: str | None = None,
               event_types: Iterable[str] | None = None,
               description: str | None = None) -> None:
        if url is not None:
            self.url = url
        if event_types is not None:
            self.event_types = subscription(event_types, self.owner.type)
        if description is not None:
            self.description = _description(description)
        self.updated_at = now

    def rotate_secret(self, now: datetime, grace: timedelta) -> str:
        """A new secret; the current one stays valid for ``grace`` (0: not at all)."""
        self.previous_secret = self.secret if grace > timedelta(0) else None
        self.previous_secret_expires_at = now + grace if grace > timedelta(0) else None
        self.secret = signing.new_secret()
        self.updated_at = now
        return self.secret

    def disable(self, now: datetime, reason: DisabledReason = DisabledReason.MANUAL) -> bool:
        """False when it already was (nothing recorded)."""
        if not self.enabled:
            return False
        self.status = EndpointStatus.DISABLED
        self.disabled_reason = reason
        self.disabled_at = now
        self.updated_at = now
        self.record(EndpointDisabled(endpoint=self._state(), reason=reason.value,
                                     occurred_at=now))
        return True

    def enable(self, now: datetime) -> bool:
        if self.enabled:
            return False
        self.status = EndpointStatus.ENABLED
        self.disabled_reason = None
        self.disabled_at = None
        self.consecutive_failures = 0
        self.failing_since = None
        self.updated_at = now
        return True

    def must_be_enabled(self) -> None:
        if not self.enabled:
            raise EndpointDisabledRule(fields={"endpoint_id": ["Disabled."]})

    # what deliveries tell it -----------------------------------------------------------------
    def delivered(self, now: datetime) -> None:
        if self.consecutive_failures:
            self.consecutive_failures = 0
            self.failing_since = None
            self.updated_at = now

    def failed(self, now: datetime, policy: FailurePolicy, *, gone: bool = False) -> bool:
        """One more failed attempt; True when it disabled the endpoint."""
        self.consecutive_failures += 1
        if self.failing_since is None:
            self.failing_since = now
        self.updated_at = now
        if not self.enabled:
            return False
        if gone:
            return self.disable(now, DisabledReason.GONE)
        if self.consecutive_failures >= policy.after_failures and \
                now - self.failing_since >= policy.after:
            return self.disable(now, DisabledReason.FAILING)
        return False

    def _state(self) -> EndpointState:
        return EndpointState(endpoint_id=self.id, owner=self.owner, url=self.url,
                             consecutive_failures=self.consecutive_failures,
                             failing_since=self.failing_since, disabled_at=self.disabled_at)


def _description(text: str | None) -> str:
    text = (text or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise ValidationError("Description too long.", {"description": [
            f"At most {MAX_DESCRIPTION} characters."]})
    return text
