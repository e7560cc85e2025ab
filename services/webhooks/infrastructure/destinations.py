"""The destination check with a real resolver: the URL rules, then every address its
host resolves to (``domain/destinations.py`` decides which are allowed).

``pin`` answers the checked address too: the sender connects to it, so a second DNS
answer (a rebinding attack: public when checked, private when connected) never gets a
say."""
from __future__ import annotations

import socket
from collections.abc import Callable

from services.webhooks.domain.destinations import (
    Address,
    DestinationPolicy,
    Target,
    check_addresses,
    literal_address,
    parse,
    refuse,
)

Resolve = Callable[[str, int], list[Address]]


def system_resolve(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to (the system's resolver; green under eventlet),
    in the resolver's order, without repeats."""
    found: list[Address] = []
    for _family, _type, _proto, _name, sockaddr in socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM):
        address = literal_address(sockaddr[0].split("%")[0])
        if address is not None and address not in found:
            found.append(address)
    return found


class DestinationGuard:
    def __init__(self, policy: DestinationPolicy, resolve: Resolve = system_resolve):
        self.policy = policy
        self.resolve = resolve

    def check(self, url: str) -> Target:
        return self.pin(url)[0]

    def pin(self, url: str) -> tuple[Target, Address]:
        target = parse(url, self.policy)
        literal = literal_address(target.host)
        if literal is not None:
            return target, check_addresses(target.host, [literal], self.policy)
        try:
            addresses = self.resolve(target.host, target.port)
        except (OSError, UnicodeError) as error:
            raise refuse(f"{target.host} does not resolve ({type(error).__name__}).") from None
        return target, check_addresses(target.host, addresses, self.policy)
