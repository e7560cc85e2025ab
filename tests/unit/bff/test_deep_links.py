"""Deep links: a referral link may land on any page of its campaign's own site, never
elsewhere (an open redirect)."""
from __future__ import annotations

import pytest

from services.bff.api.tracking import check_deep_link
from services.bff.errors import ApiError

LANDING = "https://shop.example.com/landing?lang=en"


@pytest.mark.parametrize("page", [
    "https://shop.example.com/products/42",
    "https://SHOP.example.com/sale?color=red#reviews",
    "https://shop.example.com:443/",
])
def test_a_page_of_the_landing_page_s_site_is_a_deep_link(page):
    check_deep_link(page, LANDING)  # does not raise


@pytest.mark.parametrize("page", [
    "https://evil.example.net/products/42",
    "https://shop.example.com.evil.net/",
    "https://shop.example.com@evil.net/",
    "https://user@shop.example.com/",
    "http://shop.example.com/products/42",   # down to http
    "https://shop.example.com:8443/",
    "https://example.com/",
])
def test_any_other_site_is_refused_on_to(page):
    with pytest.raises(ApiError) as refused:
        check_deep_link(page, LANDING)
    assert refused.value.status == 422
    assert refused.value.fields == {"to": ["Must be a page of https://shop.example.com."]}


def test_a_page_longer_than_a_click_may_carry_is_refused_on_to():
    page = "https://shop.example.com/" + "p" * 2000
    with pytest.raises(ApiError) as refused:
        check_deep_link(page, LANDING)
    assert refused.value.fields == {"to": ["Longer than 2000 characters."]}
    check_deep_link(page[:2000], LANDING)  # does not raise


def test_an_http_landing_page_may_deep_link_to_its_own_https_pages():
    check_deep_link("https://shop.example.com/x", "http://shop.example.com/landing")
    check_deep_link("http://127.0.0.1:8080/x", "http://127.0.0.1:8080/landing")
    with pytest.raises(ApiError):
        check_deep_link("http://127.0.0.1:8081/x", "http://127.0.0.1:8080/landing")
