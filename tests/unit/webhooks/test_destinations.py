"""Which URLs and addresses may receive webhooks (SSRF), checked before any request."""
import ipaddress

import pytest

from services.webhooks.domain.destinations import (
    DestinationPolicy,
    DestinationRefused,
    check_addresses,
    classify,
    parse,
)
from services.webhooks.infrastructure.destinations import DestinationGuard

STRICT = DestinationPolicy()
DEV = DestinationPolicy(allow_http=True, allow_private=True)


def ip(text):
    return ipaddress.ip_address(text)


@pytest.mark.parametrize("url", [
    "http://hooks.example.com/x", "ftp://hooks.example.com/", "https:///nohost",
    "https://user:pass@hooks.example.com/", "https://hooks.example.com/#frag",
    "https://hooks.example.com:99999/", "hooks.example.com/x", "", "https://" + "a" * 2050])
def test_production_urls_are_https_with_a_host_and_nothing_else(url):
    with pytest.raises(DestinationRefused) as refused:
        parse(url, STRICT)
    assert refused.value.code == "destination_refused" and "url" in refused.value.fields


def test_a_url_is_split_for_the_connection():
    target = parse("https://Hooks.Example.com:8443/alpes/in?tenant=7", STRICT)
    assert (target.scheme, target.host, target.port, target.path) == (
        "https", "hooks.example.com", 8443, "/alpes/in?tenant=7")
    assert target.host_header == "hooks.example.com:8443"
    assert parse("https://hooks.example.com", STRICT).path == "/"
    assert parse("http://[::1]:8080/", DEV).host_header == "[::1]:8080"
    assert parse("http://127.0.0.1:8080/x", DEV).scheme == "http"


@pytest.mark.parametrize("address, reason", [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"),
    ("172.16.0.9", "private"), ("192.168.1.1", "private"), ("169.254.10.10", "link-local"),
    ("169.254.169.254", "metadata"), ("fd00:ec2::254", "metadata"),
    ("100.100.100.200", "metadata"), ("100.64.0.1", "not public"), ("0.0.0.0", "unspecified"),
    ("224.0.0.1", "multicast"), ("240.0.0.1", "private"), ("fe80::1", "link-local"),
    ("fc00::1", "private"), ("::ffff:127.0.0.1", "loopback"), ("198.51.100.7", "private"),
    ("93.184.216.34", None), ("2606:4700::1111", None)])
def test_addresses_are_classified(address, reason):
    assert classify(ip(address)) == reason


def test_private_addresses_only_where_allowed_and_metadata_never():
    with pytest.raises(DestinationRefused):
        check_addresses("h", [ip("127.0.0.1")], STRICT)
    assert check_addresses("h", [ip("127.0.0.1")], DEV) == ip("127.0.0.1")
    with pytest.raises(DestinationRefused) as refused:
        check_addresses("h", [ip("169.254.169.254")], DEV)
    assert "metadata" in refused.value.message
    with pytest.raises(DestinationRefused):  # one bad address among good ones
        check_addresses("h", [ip("93.184.216.34"), ip("10.0.0.1")], STRICT)
    with pytest.raises(DestinationRefused):
        check_addresses("h", [], DEV)


class Dns:
    def __init__(self, **answers):
        self.answers = answers
        self.asked = []

    def __call__(self, host, port):
        self.asked.append(host)
        if host not in self.answers:
            raise OSError("NXDOMAIN")
        return [ip(a) for a in self.answers[host]]


def test_the_guard_resolves_and_pins_the_first_checked_address():
    dns = Dns(**{"hooks.example.com": ["93.184.216.34", "93.184.216.35"],
                 "internal.example.com": ["10.0.0.8"],
                 "metadata.example.com": ["169.254.169.254"]})
    guard = DestinationGuard(STRICT, dns)
    target, address = guard.pin("https://hooks.example.com/in")
    assert (target.host, address) == ("hooks.example.com", ip("93.184.216.34"))
    for url in ("https://internal.example.com/", "https://metadata.example.com/",
                "https://nowhere.example.com/", "https://127.0.0.1/", "https://[::1]/"):
        with pytest.raises(DestinationRefused):
            guard.pin(url)
    assert "127.0.0.1" not in dns.asked  # literals are not resolved


def test_a_dns_answer_that_changes_is_refused_at_the_next_check():
    dns = Dns(**{"rebind.example.com": ["93.184.216.34"]})
    guard = DestinationGuard(STRICT, dns)
    guard.check("https://rebind.example.com/")
    dns.answers["rebind.example.com"] = ["127.0.0.1"]
    with pytest.raises(DestinationRefused):
        guard.check("https://rebind.example.com/")
