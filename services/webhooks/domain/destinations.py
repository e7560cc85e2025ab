"""Where a webhook may go: the URL rules and the addresses it may resolve to (SSRF).

* the URL is absolute, ``https`` (``http`` only where the configuration allows it), has a
  host, no user name or password and no fragment, and is at most 2048 characters;
* every address its host resolves to must be public (``ipaddress``' ``is_global``, and
  not multicast): private, loopback, link-local, shared (CGNAT), reserved, unspecified
  and documentation ranges are refused unless the configuration allows private
  destinations (development and tests only);
* cloud metadata addresses (``169.254.169.254``, ``fd00:ec2::254``, ``100.100.100.200``)
  are refused whatever the configuration.

The check runs when an endpoint is created or its URL changed, and again before every
attempt; the sender connects to the very address that was checked (no second lookup).
"""
from __future__ import annotations

import dataclasses
import ipaddress
from urllib.parse import SplitResult, urlsplit

from common.seedwork.errors import ValidationError

MAX_URL_LENGTH = 2048
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(address) for address in (
    "169.254.169.254", "fd00:ec2::254", "100.100.100.200"))

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclasses.dataclass(frozen=True)
class DestinationPolicy:
    allow_http: bool = False
    allow_private: bool = False


@dataclasses.dataclass(frozen=True)
class Target:
    """A checked URL, split: where to connect and what to ask for."""

    url: str
    scheme: str
    host: str          # as written (lower case), for Host, SNI and the certificate
    port: int
    path: str          # path and query string, never empty

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


class DestinationRefused(ValidationError):
    """The URL, or an address its host resolves to, may not receive webhooks."""

    code = "destination_refused"
    default_message = "This destination may not receive webhooks."


def refuse(message: str) -> DestinationRefused:
    return DestinationRefused(message, {"url": [message]})


def parse(url: str, policy: DestinationPolicy) -> Target:
    """The URL's parts, or ``DestinationRefused`` naming what is wrong with it."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise refuse(f"Must be a URL of at most {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise refuse("Not a valid URL.") from None
    allowed = ("https", "http") if policy.allow_http else ("https",)
    if parts.scheme.lower() not in allowed:
        raise refuse("Must be an https URL." if not policy.allow_http
                     else "Must be an http or https URL.")
    if not parts.hostname:
        raise refuse("Must name a host.")
    if parts.username is not None or parts.password is not None:
        raise refuse("Must not carry a user name or password.")
    if parts.fragment:
        raise refuse("Must not have a fragment (#...).")
    scheme = parts.scheme.lower()
    return Target(url=url.strip(), scheme=scheme, host=parts.hostname.lower(),
                  port=port or (443 if scheme == "https" else 80), path=_path(parts))


def _path(parts: SplitResult) -> str:
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def literal_address(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def classify(address: Address) -> str | None:
    """Why ``address`` may not receive webhooks by default (None: it may)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "metadata"
    for reason, flag in (("loopback", address.is_loopback),
                         ("link-local", address.is_link_local),
                         ("multicast", address.is_multicast),
                         ("unspecified", address.is_unspecified),
                         ("private", address.is_private),
                         ("reserved", address.is_reserved)):
        if flag:
            return reason
    return None if address.is_global else "not public"


def check_addresses(host: str, addresses: list[Address], policy: DestinationPolicy) -> Address:
    """The address to connect to (the first one) when every address of ``host`` is
    allowed, else ``DestinationRefused``: a host with one private address among public
    ones is refused too (which address a client picks is not ours to guess)."""
    if not addresses:
        raise refuse(f"{host} does not resolve to any address.")
    for address in addresses:
        reason = classify(address)
        if reason == "metadata" or (reason and not policy.allow_private):
            raise refuse(f"{host} resolves to a {reason} address ({address}), "
                         "which may not receive webhooks.")
    return addresses[0]
