"""What a person does on the pages, as Playwright steps (labels and roles, not CSS:
what a screen reader or keyboard user finds is what the tests find)."""
from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect


def sign_in(page: Page, email: str, password: str, *, lands: str | None = None) -> None:
    page.goto("/app/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password", exact=True).press("Enter")  # the keyboard alone
    if lands:
        expect(page).to_have_url(re.compile(lands))


def go(page: Page, item: str) -> None:
    """Follow an item of the main navigation."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=item,
                                                            exact=True).click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def form_error(page: Page) -> str:
    box = page.locator(".form-error:not(:empty)")
    expect(box).to_be_visible()
    return box.inner_text()


def field_error(page: Page, label: str) -> str:
    """The error said under the input labelled ``label``."""
    described = page.get_by_label(label, exact=True).get_attribute("aria-describedby")
    error_id = next(part for part in described.split() if part.endswith("-error"))
    box = page.locator(f"#{error_id}")
    expect(box).not_to_be_empty()
    return box.inner_text()


def row(page: Page, text: str):
    return page.locator("tbody tr", has_text=text)


def until(page: Page, check, *, timeout: float = 20, reload_every: float = 1.0,
          message: str = "the page shows it") -> None:
    """Reload the page until ``check()`` holds (data arriving through events)."""
    deadline = time.monotonic() + timeout
    while True:
        page.wait_for_load_state("networkidle")
        if check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s: {message}")
        time.sleep(reload_every)
        page.reload()
