"""The browser side of the browser tests: Playwright driving Debian's Chromium.

Run by the tests (``test_story.py``, ``test_sign_in.py``) as a child process:
``python -m tests.e2e.browser.driver SCENARIO`` with a JSON spec on standard input; it
prints one JSON line (what the test checks next: the secrets it saw...) and exits 0, or
exits 1 with the failure. Why a child process: the test process is monkey-patched by
eventlet for Nameko, and Playwright's sync API runs its own asyncio loop on greenlets,
which eventlet's green ``select`` breaks (a timed-out wait never returns). Here nothing
is patched.
"""
from __future__ import annotations

import csv
import io
import json
import mailbox
import os
import pathlib
import re
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import requests
from playwright.sync_api import expect, sync_playwright

from services.bff.api import ROUTES
from services.bff.auth import ADMIN, BRAND, PARTNER, TokenCodec
from services.bff.errors import NOT_FOUND_MESSAGE
from tests.e2e.browser import pages

ROOT = pathlib.Path(__file__).resolve().parents[3]
CHROMIUM = os.environ.get("ALPES_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-dev-shm-usage"]
# `make screenshots` writes the README's (docs/screenshots); other runs keep theirs in var/
SCREENSHOTS = pathlib.Path(os.environ.get("ALPES_SCREENSHOTS", ROOT / "var" / "screenshots"))
VIEWPORT = {"width": 1280, "height": 860}
ACTION_TIMEOUT_MS = 10_000
IPS = {"admin": "192.0.2.10", "brand": "192.0.2.20", "partner": "203.0.113.10",
       "visitor": "198.51.100.7", "other": "192.0.2.99"}


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.1, message: str = "it"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


class Browser:
    """Chromium with isolated profiles: each person a context of their own (cookies),
    each with their own address (X-Forwarded-For, trusted by the BFF in these stacks)."""

    def __init__(self, playwright, base_url: str):
        self.base_url = base_url
        # what a page shows waits as long as what a person does on it: make test runs
        # its layers side by side, and a page's answers can take over expect's 5 s there
        expect.set_options(timeout=ACTION_TIMEOUT_MS)
        self.browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                  args=CHROMIUM_ARGS)

    def context(self, ip: str, **options):
        context = self.browser.new_context(
            base_url=self.base_url, viewport=VIEWPORT, locale="en-US", timezone_id="UTC",
            extra_http_headers={"X-Forwarded-For": ip}, **options)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        return context

    @staticmethod
    def shoot(page, name: str) -> None:
        """The whole page as <SCREENSHOTS>/<name>.png (the README shows them); keys,
        secrets and invitation links shown once are masked."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True,
                        animations="disabled", mask=[page.locator("input.secret")])


def review_campaign(brand, partner, browser, run: str, landing: str) -> None:
    """A campaign that reviews its partners: Bea applies, thinks better of it and
    withdraws, applies again with a better note; the brand reads it and declines, saying
    why; Bea reads why; the brand changes its mind and approves her, and her link
    appears."""
    name = f"Ambassadors {run}"
    pages.go(brand, "Campaigns")
    brand.get_by_role("link", name="New campaign").first.click()
    brand.get_by_label("Name", exact=True).fill(name)
    brand.get_by_label("Landing page").fill(f"{landing}/spring.html")
    brand.get_by_label("Budget").fill("500.00")
    brand.get_by_label("Commission rate").fill("0.05")
    brand.get_by_label("Partners join").select_option("review")
    brand.get_by_role("button", name="Create campaign").click()
    expect(brand.get_by_text("After your review")).to_be_visible()
    brand.get_by_role("button", name="Activate").click()
    expect(brand.get_by_text("Campaign activated.")).to_be_visible()
    expect(brand.get_by_text("No application waits for you.")).to_be_visible()

    pages.go(partner, "Campaigns")
    card = partner.locator("article.campaign", has_text=name)
    expect(card).to_contain_text("You apply; the brand reviews each application")
    card.get_by_label("A word for the brand (optional)").fill("Runner")
    card.get_by_role("button", name=f"Apply to {name}").click()
    expect(card.get_by_text("Application sent")).to_be_visible()
    pages.go(partner, "My links")
    application = partner.locator("article.application", has_text=name)
    expect(application).to_contain_text("Your link comes when the brand approves you.")
    partner.once("dialog", lambda dialog: dialog.accept())  # "Withdraw your application...?"
    application.get_by_role("button", name=f"Withdraw my application to {name}").click()
    expect(application).to_contain_text("You withdrew this application")
    pages.go(partner, "Campaigns")  # and apply again, saying more
    card = partner.locator("article.campaign", has_text=name)
    card.get_by_label("A word for the brand (optional)").fill("Trail runner, 12k followers")
    card.get_by_role("button", name=f"Apply to {name}").click()
    expect(card.get_by_text("Application sent")).to_be_visible()

    pages.go(brand, "Home")  # the dashboard counts it (the read model, from its event)
    pages.until(brand, lambda: brand.get_by_text(
        "1 partner's application awaits your review").count() == 1,
        message="the application on the brand's home")
    brand.get_by_role("link", name=f"1 application to review for {name}").click()
    applied = brand.locator("tbody tr", has_text="Trail runner, 12k followers")
    expect(applied).to_contain_text("Bea Lopez")
    expect(applied).to_contain_text("Pending")
    browser.shoot(brand, "brand-applications")
    applied.get_by_role("button", name="Decline Bea Lopez…").click()
    why = "Tell us where you will share the link"
    applied.get_by_label("A word for the partner (optional)").fill(why)
    applied.get_by_role("button", name="Decline Bea Lopez", exact=True).click()
    expect(brand.get_by_text("Bea Lopez's application is declined.")).to_be_visible()
    expect(brand.locator("tbody tr", has_text="Trail runner")).to_contain_text(why)

    pages.go(partner, "My links")  # Bea reads why
    application = partner.locator("article.application", has_text=name)
    expect(application).to_contain_text("The brand declined your application.")
    expect(application).to_contain_text(f"The brand said: {why}")

    brand.locator("tbody tr", has_text="Trail runner").get_by_role(
        "button", name="Approve Bea Lopez").click()  # the brand changes its mind
    expect(brand.get_by_text("Bea Lopez is in: their link works from now on.")).to_be_visible()

    pages.go(partner, "My links")
    expect(partner.get_by_label(f"Link for {name}")).to_have_value(re.compile("/r/"))

    # Bea leaves the campaign (her link stops earning), then joins it again at once
    link = partner.locator("article.card", has=partner.get_by_label(f"Link for {name}"))
    partner.once("dialog", lambda dialog: dialog.accept())  # "Leave ...? Your link stops..."
    link.get_by_role("button", name=f"Leave {name}").click()
    expect(link).to_contain_text("You left this campaign")
    pages.go(partner, "Campaigns")
    card = partner.locator("article.campaign", has_text=name)
    expect(card).to_contain_text("You left this campaign.")
    card.get_by_role("button", name=f"Join {name} again").click()
    expect(card.get_by_label("Your link")).to_have_value(re.compile("/r/"))
    brand_code(brand, partner, name)  # Bea's other link: the brand picks its code


BAD_CODE = ("b!", "From 3 to 16 characters.")
TAKEN = "Already taken: choose another."


def vanity_code(partner, campaign_name: str, link: str) -> str:
    """Bea gives her link a code of her own on My links: "b!" is refused under the input
    (her link unchanged), then "BEA-SPRING", taken lowercase; the card shows the new
    link, and so does the page loaded again. Answers the new link."""
    pages.go(partner, "My links")
    shown = partner.get_by_label(f"Link for {campaign_name}")
    expect(shown).to_have_value(link)
    card = partner.locator("article.card", has=shown)
    card.get_by_role("button", name=f"Change code for {campaign_name}…").click()
    code = card.get_by_label("Referral code", exact=True)
    expect(code).to_be_focused()
    expect(code).to_have_value(link.rsplit("/r/", 1)[1])  # the code it has
    expect(card).to_contain_text("3–16 letters, digits and hyphens. Links with the old "
                                 "code will stop working.")
    code.fill(BAD_CODE[0])
    card.get_by_role("button", name="Save code").click()
    assert pages.field_error(partner, "Referral code") == BAD_CODE[1]
    expect(shown).to_have_value(link)  # nothing changed
    code.fill("BEA-SPRING")
    card.get_by_role("button", name="Save code").click()
    new_link = f"{link.rsplit('/r/', 1)[0]}/r/bea-spring"
    expect(partner.get_by_label(f"Link for {campaign_name}")).to_have_value(new_link)
    expect(partner.locator("#main").get_by_text(  # the live region says it too
        f"Your link is now {new_link}.")).to_be_visible()
    expect(partner.get_by_label(f"Link for {campaign_name}")).to_be_focused()
    pages.go(partner, "My links")  # kept: the API's list says so too
    expect(partner.get_by_label(f"Link for {campaign_name}")).to_have_value(new_link)
    expect(partner.locator("article.card", has_text=campaign_name)).to_contain_text(
        "code bea-spring.")
    return new_link


def follow(visitor, link: str, lands_on: str, *, timeout: float = 5.0) -> str:
    """A visitor opens ``link`` until it lands on ``lands_on`` (a link whose code just
    changed works once its event reached the BFF: normally at once, within ``timeout``
    seconds; a 404 meanwhile); answers the click id the redirect appended."""
    deadline = time.monotonic() + timeout
    while True:
        answer = visitor.goto(link)
        status = answer.status if answer is not None else None
        assert status in (200, 404), (link, status, answer and answer.text()[:300])
        if visitor.url.startswith(f"{lands_on}?click_id="):
            expect(visitor.get_by_role("heading", name="Acme spring sale")).to_be_visible()
            return visitor.url.split("click_id=", 1)[1]
        assert time.monotonic() < deadline, (
            f"{link} did not land on {lands_on} within {timeout}s: it answers {status} "
            f"at {visitor.url}")
        time.sleep(0.25)


def gone(visitor, link: str, *, timeout: float = 5.0) -> None:
    """``link`` answers 404 within ``timeout`` seconds (its code was changed: the BFF
    forgets the old code when it hears the event), where it used to land."""
    deadline = time.monotonic() + timeout
    while True:
        answer = visitor.goto(link)
        status = answer.status if answer is not None else None
        if status == 404:
            return
        assert time.monotonic() < deadline, (
            f"{link} still answers {status} after {timeout}s (at {visitor.url}), not 404")
        time.sleep(0.25)


def brand_code(brand, partner, name: str) -> None:
    """On the Ambassadors campaign's page the brand gives Bea's link there a code of its
    choosing: her Spring sale link's ("Bea-Spring", whatever its case) is refused under the
    input, "bea-trail" is saved; the row shows it, and so does Bea's card."""
    brand.reload()
    joined = brand.get_by_role("region", name="Partners")
    bea = joined.locator("tbody tr", has_text="Bea Lopez")
    expect(bea).to_contain_text("Active")
    bea.get_by_role("button", name="Code for Bea Lopez…").click()
    recode = brand.get_by_role("form", name="Code for Bea Lopez")
    code = recode.get_by_label("Referral code", exact=True)
    expect(code).to_be_focused()
    old = code.input_value()
    code.fill("Bea-Spring")
    recode.get_by_role("button", name="Save code").click()
    assert pages.field_error(brand, "Referral code") == TAKEN
    expect(bea).to_contain_text(old)  # nothing changed
    code.fill("bea-trail")
    recode.get_by_role("button", name="Save code").click()
    expect(brand.get_by_text(re.compile(r"Bea Lopez's link is now \S+/r/bea-trail\. "))
           ).to_be_visible()
    expect(bea).to_contain_text("bea-trail")
    expect(bea).not_to_contain_text(old)
    pages.go(partner, "My links")
    expect(partner.get_by_label(f"Link for {name}")).to_have_value(re.compile("/r/bea-trail$"))


def own_rate(brand, partner, campaign_url: str, campaign_name: str) -> None:
    """The brand pays Bea her own rate in its 10% campaign: 150% is refused beside the
    field (nothing changes), 15% with at most 50.00 a conversion is saved; Bea reads it
    on her link's card."""
    brand.goto(campaign_url)
    bea = pages.row(brand, "Bea Lopez")
    expect(bea).to_contain_text("Campaign's (10%)")
    bea.get_by_role("button", name="Commission for Bea Lopez…").click()
    expect(bea.get_by_label("Rate (%)")).to_be_focused()
    bea.get_by_label("Rate (%)").fill("150")
    bea.get_by_label("Most per order (USD, optional)").fill("50.00")
    bea.get_by_role("button", name="Save commission").click()
    assert pages.field_error(brand, "Rate (%)") == "Must be more than 0% and at most 100%."
    expect(bea).not_to_contain_text("Own:")
    bea.get_by_label("Rate (%)").fill("15")
    bea.get_by_role("button", name="Save commission").click()
    expect(brand.get_by_text("Bea Lopez is paid 15% (max $50.00) from now on.")).to_be_visible()
    expect(pages.row(brand, "Bea Lopez")).to_contain_text("Own: 15% (max $50.00)")
    pages.go(partner, "My links")
    today = datetime.now(UTC).strftime("%b %-d, %Y")  # the page's date, UTC
    expect(partner.locator("article.card", has_text=campaign_name)).to_contain_text(
        f"Your commission: 15% (max $50.00), set by the brand on {today}.")


def bonus(brand, partner) -> None:
    """On the campaign page (its budget 1000.00, 30.00 of it owed for Bea's order), the
    brand awards Bea a bonus: more than the budget has left is refused under the amount
    (nothing awarded), then 25.00 for "Great launch video", in the same form (the same
    reference: a refusal spends none), approved at once; Bea reads it, once, among her
    commissions."""
    brand.get_by_role("button", name="Bonus for Bea Lopez…").click()  # in her row
    award = brand.get_by_role("form", name="Bonus for Bea Lopez")
    expect(award.get_by_label("Amount (USD)")).to_be_focused()
    award.get_by_label("Amount (USD)").fill("999999.00")
    award.get_by_label("What it is for").fill("Great launch video")
    award.get_by_role("button", name="Award bonus").click()
    assert pages.field_error(brand, "Amount (USD)") == "At most 970.00 USD."
    award.get_by_label("Amount (USD)").fill("25.00")
    award.get_by_role("button", name="Award bonus").click()
    expect(brand.get_by_text("Bea Lopez gets a bonus of $25.00.")).to_be_visible()
    awarded = brand.locator("tbody tr[data-kind='bonus']")  # the campaign's commissions
    expect(awarded).to_have_count(1)
    expect(awarded).to_contain_text("Bonus: Great launch video")
    expect(awarded).to_contain_text("$25.00")
    expect(awarded).to_contain_text("Approved")
    remaining = brand.locator("dl.facts > div", has_text="Remaining")
    expect(remaining).to_contain_text("$945.00")  # 1000.00 - 30.00 - 25.00

    pages.go(partner, "Commissions")
    mine = partner.locator("tbody tr[data-kind='bonus']")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("Bonus: Great launch video")
    expect(mine).to_contain_text("$25.00")
    expect(mine).to_contain_text("Approved")
    expect(pages.row(partner, "Pending")).to_contain_text("CPS: order of $200.00")


def approve_at_once(brand, visitor, order, link: str, landing: str, run: str) -> None:
    """Two more orders through Bea's link, after the payout (the campaign's 10% again:
    $8.00 and $6.00, pending); on the Commissions page (its pending ones) the brand
    selects one, then every pending one, and approves them in one go: "2 commissions
    approved.", none refused, and both show Approved (paid with a later payout)."""
    click_id = follow(visitor, link, f"{landing}/spring.html")
    for order_id, amount in ((f"A2-{run}", "80.00"), (f"A3-{run}", "60.00")):
        answer = order(order_id, amount, click_id)
        assert answer.status_code == 201 and answer.json()["status"] == "ATTRIBUTED", answer.text
    pages.go(brand, "Commissions")
    pending = brand.locator("tbody tr[data-status='PENDING']")
    pages.until(brand, lambda: pending.count() == 2, message="the two new commissions")
    approve = brand.get_by_role("button", name=re.compile(r"^Approve selected \("))
    expect(approve).to_have_text("Approve selected (0)")
    expect(approve).to_be_disabled()
    eight = brand.get_by_role("checkbox", name=re.compile(
        r"^Select the commission of \$8\.00 for Bea Lopez \(CPS: order of \$80\.00, "))
    eight.check()
    expect(brand.get_by_role("button", name="Approve selected (1)")).to_be_enabled()
    brand.get_by_label("Select all pending on this page").check()
    expect(brand.get_by_role("checkbox", name=re.compile(
        r"^Select the commission of \$6\.00 for Bea Lopez"))).to_be_checked()
    brand.get_by_role("button", name="Approve selected (2)").click()
    expect(brand.get_by_role("status").filter(has_text="approved.")).to_have_text(
        "2 commissions approved.")
    expect(brand.locator("#main .notice.error")).to_have_count(0)  # none refused
    expect(pending).to_have_count(0)
    expect(brand.get_by_text("No commission here.")).to_be_visible()
    brand.get_by_label("Status").select_option("APPROVED")  # the others are paid by now
    approved = brand.locator("tbody tr[data-status='APPROVED']")
    expect(approved).to_have_count(2)
    for amount in ("$8.00", "$6.00"):
        expect(approved.filter(has_text=amount)).to_contain_text("Approved")


def partner_report(brand, browser, campaign_name: str) -> None:
    """The brand's Reports page: Bea's row over the last 30 days (no days chosen) in all
    its campaigns, then in the Spring sale alone (her order: 1 conversion, $200.00 in USD);
    "Download CSV" follows the filters; a period ending before it starts is refused (the
    API's 422, said where the table was), a right one shows her again."""
    pages.go(brand, "Reports")
    expect(brand.get_by_role("heading", name="Partner performance")).to_be_visible()
    expect(brand.get_by_text("No days chosen: the last 30 days, today included.")).to_be_visible()
    pages.until(brand, lambda: pages.row(brand, "Bea Lopez").count() == 1,
                message="Bea in the brand's partner report")  # the stats come by events
    expect(brand.get_by_text(re.compile(r"^From .+ to .+, both included \(UTC\)\.$"))
           ).to_be_visible()  # the period the API answered for: the last 30 days

    def bea_figures() -> dict:
        bea = pages.row(brand, "Bea Lopez")
        expect(bea).to_have_attribute("data-currency", "USD")
        expect(bea).to_contain_text("$200.00")
        header = brand.locator("thead th")
        return dict(zip(header.all_inner_texts(), bea.locator("th, td").all_inner_texts(),
                        strict=True))

    figures = bea_figures()
    assert int(figures["Conversions"]) >= 1 and figures["Revenue"] == "$200.00", figures
    assert int(figures["Clicks"]) >= max(1, int(figures["Valid clicks"])), figures
    rate = figures["Conversion rate"]  # conversions per valid click, as a percent
    assert rate.endswith("%") if int(figures["Valid clicks"]) else rate == "—", figures
    download = brand.get_by_role("link", name="Download CSV")
    assert "campaign_id=" not in (download.get_attribute("href") or "")
    brand.get_by_label("Campaign", exact=True).select_option(label=campaign_name)
    expect(download).to_have_attribute("href", re.compile(r"/reports/partners/export\?"
                                                          r"(.*&)?campaign_id="))
    figures = bea_figures()  # her order was in the Spring sale
    assert int(figures["Conversions"]) >= 1, figures
    [row] = [r for r in downloaded_csv(brand) if r["partner_name"] == "Bea Lopez"]
    assert (row["currency"], row["revenue"]) == ("USD", "200.00"), row
    assert int(row["conversions"]) >= 1, row

    today = datetime.now(UTC).date()  # From and To both included (UTC)
    brand.get_by_label("From").fill(today.isoformat())
    brand.get_by_label("To (included)").fill((today - timedelta(days=1)).isoformat())
    refused = brand.locator("#main .notice.error")
    expect(refused).to_contain_text("The input is invalid.")
    expect(refused).to_contain_text("To: Must be after 'from'.")  # the field's reason
    brand.get_by_label("To (included)").fill(today.isoformat())
    expect(brand.get_by_text(re.compile(r"^On [A-Z][a-z]{2} \d{1,2}, \d{4} \(UTC\)\.$"))
           ).to_be_visible()  # one day: today
    figures = bea_figures()
    assert int(figures["Conversions"]) >= 1, figures
    href = download.get_attribute("href")
    for said in ("campaign_id=", f"from={today.isoformat()}",
                 f"to={(today + timedelta(days=1)).isoformat()}"):  # the API's excluded end
        assert said in href, href
    brand.get_by_label("To (included)").blur()  # no focus ring in the screenshot
    browser.shoot(brand, "brand-reports")


def story(browser: Browser, spec: dict) -> dict:
    """The whole story; answers the secrets it handled (the test greps the logs)."""
    api, landing, secret = spec["api"], spec["landing"], spec["secret"]
    run = spec["run"]
    admin_email, admin_password = spec["admin_email"], spec["admin_password"]
    partner_email = f"bea-{run}@example.com"
    partner_password = f"partner pass {uuid.uuid4().hex}"
    owner_email, owner_password = f"owner-{run}@example.com", f"owner pass {uuid.uuid4().hex}"
    acme_name, campaign_name = f"Acme {run}", f"Spring sale {run}"
    secrets: dict[str, str] = {"admin password": admin_password,
                               "partner password": partner_password,
                               "owner password": owner_password}
    partner_ctx = browser.context(IPS["partner"],
                                  permissions=["clipboard-read", "clipboard-write"])
    admin_ctx = browser.context(IPS["admin"])
    brand_ctx = browser.context(IPS["brand"],
                                permissions=["clipboard-read", "clipboard-write"])
    partner, admin, brand = partner_ctx.new_page(), admin_ctx.new_page(), brand_ctx.new_page()

    # -- a partner signs up, then signs in ---------------------------------------------------
    partner.goto("/")
    expect(partner.get_by_role("heading", name="Sign in")).to_be_visible()
    browser.shoot(partner, "sign-in")
    partner.get_by_role("link", name="Sign up").click()
    partner.get_by_label("Name", exact=True).fill("Bea Lopez")
    partner.get_by_label("Email", exact=True).fill(partner_email)
    partner.get_by_label("Password", exact=True).fill("short")
    partner.get_by_label("Kind of partner").select_option("affiliate")
    partner.get_by_label("Country").select_option("ES")
    partner.get_by_label("How you get paid").select_option("paypal")
    partner.get_by_label("PayPal email").fill(partner_email)
    partner.get_by_role("button", name="Sign up").click()
    assert "12" in pages.field_error(partner, "Password")  # the policy, beside the input
    browser.shoot(partner, "partner-sign-up")
    partner.get_by_label("Password", exact=True).fill(partner_password)
    partner.get_by_role("button", name="Sign up").click()
    expect(partner.get_by_text("awaiting verification")).to_be_visible()
    pages.sign_out(partner)
    pages.sign_in(partner, partner_email, partner_password, lands="/app/partner$")
    expect(partner.get_by_role("heading", name="Your partner home")).to_be_visible()

    # -- a new password, from the account page: the partner's other device is signed out --
    other_device = browser.context(IPS["partner"]).new_page()
    pages.sign_in(other_device, partner_email, partner_password, lands="/app/partner$")
    partner.get_by_role("link", name=partner_email).click()  # the account, top right
    expect(partner.get_by_role("heading", name="Your account")).to_be_visible()
    new_password = f"partner new pass {uuid.uuid4().hex}"
    secrets["partner new password"] = new_password
    partner.get_by_label("Current password").fill("not the password at all")
    partner.get_by_label("New password", exact=True).fill(new_password)
    partner.get_by_label("New password again").fill(new_password)
    partner.get_by_role("button", name="Change password").click()
    assert pages.field_error(partner, "Current password") == "Wrong password."
    partner.get_by_label("Current password").fill(partner_password)
    partner.get_by_role("button", name="Change password").click()
    expect(partner.get_by_text(
        "Your password is changed; 1 other session was signed out.")).to_be_visible()
    browser.shoot(partner, "partner-account")
    pages.go(other_device, "Profile")
    expect(other_device.get_by_text("Your session has ended. Sign in again.")).to_be_visible()
    other_device.context.close()

    # -- the operator verifies and activates it; registers a brand, invites its owner --------
    pages.sign_in(admin, admin_email, admin_password, lands="/app/admin")
    waiting = pages.row(admin, partner_email)
    expect(waiting).to_be_visible()
    browser.shoot(admin, "operator-partners")
    waiting.get_by_role("button", name="Verify Bea Lopez").click()
    pages.row(admin, partner_email).get_by_role("button", name="Activate Bea Lopez").click()
    expect(pages.row(admin, partner_email)).to_have_count(0)  # no longer waiting
    # chosen at once: the waiting list reloading after the activation may answer after the
    # "Active" one, and is dropped then (widgets.fill draws a target's latest load only)
    admin.get_by_label("Show").select_option("ACTIVE")
    expect(pages.row(admin, partner_email)).to_contain_text("Active")
    active = pages.row(admin, partner_email)  # a reset link, for the day it cannot sign in
    active.get_by_role("button", name="Reset link for Bea Lopez").click()
    reset_link = active.get_by_label(re.compile("Password reset link for")).input_value()
    assert "/app/reset#token=pwr_" in reset_link, reset_link
    secrets["reset token"] = reset_link.split("token=", 1)[1]

    pages.go(admin, "Brands")
    admin.get_by_label("Brand name").fill(acme_name)
    admin.get_by_label("Currency").select_option("USD")
    admin.get_by_role("button", name="Register brand").click()
    acme = pages.row(admin, acme_name)
    acme.get_by_role("button", name=f"Invite an owner of {acme_name}…").click()
    acme.get_by_label(f"Owner's email for {acme_name}").fill(owner_email)
    acme.get_by_role("button", name="Invite").click()
    invitation = acme.get_by_label(re.compile("Invitation link for")).input_value()
    secrets["invitation token"] = invitation.split("token=", 1)[1]
    browser.shoot(admin, "operator-brands")

    # -- the owner accepts, signs in, creates a campaign (errors beside fields) ------------
    brand.goto(invitation)
    brand.get_by_label("Choose a password").fill(owner_password)
    brand.get_by_label("Type it again").fill(owner_password)
    brand.get_by_role("button", name="Create my account").click()
    expect(brand.get_by_text("Your account is ready")).to_be_visible()
    assert "token" not in brand.url
    brand.get_by_label("Password", exact=True).fill(owner_password)
    brand.get_by_label("Password", exact=True).press("Enter")
    expect(brand.get_by_role("heading", name=acme_name)).to_be_visible()
    brand_id = brand.url.rstrip("/").split("/")[-1]
    brand.get_by_role("link", name="New campaign").first.click()
    brand.get_by_label("Name", exact=True).fill(campaign_name)
    brand.get_by_label("Landing page").fill("not a link")
    brand.get_by_label("Budget").fill("1000.00")
    brand.get_by_label("Commission rate").fill("1.5")
    brand.get_by_label("Hold (days)").fill("1")
    brand.get_by_role("button", name="Create campaign").click()
    assert "URL" in pages.field_error(brand, "Landing page")
    browser.shoot(brand, "brand-new-campaign-errors")
    brand.get_by_label("Landing page").fill(f"{landing}/spring.html")
    brand.get_by_role("button", name="Create campaign").click()
    rate_error = pages.field_error(brand, "Commission rate")  # the campaigns service's rule
    assert rate_error
    brand.get_by_label("Commission rate").fill("0.10")
    brand.get_by_label("Recurring commissions for (months, optional)").fill("12")
    brand.get_by_role("button", name="Create campaign").click()
    expect(brand.get_by_text("Campaign created as a draft.")).to_be_visible()
    expect(brand.get_by_text("recurring for 12 months").first).to_be_visible()  # in words
    campaign_url = brand.url
    brand.get_by_role("button", name="Activate").click()
    expect(brand.get_by_text("Campaign activated.")).to_be_visible()

    pages.go(brand, "API keys")
    brand.get_by_label("Key name").fill("shop server")
    brand.get_by_role("button", name="Create key").click()
    key = brand.get_by_label('API key "shop server"').input_value()
    assert key.startswith("ak_live_")
    secrets["API key"] = key
    browser.shoot(brand, "brand-api-keys")

    # -- a mistyped invitation, emailed, then revoked before anyone uses it ------------------
    pages.go(brand, "Users")
    typo = f"membre-{uuid.uuid4().hex[:6]}@example.com"
    brand.get_by_label("Email").fill(typo)
    brand.get_by_role("button", name="Invite").click()
    expect(brand.get_by_text("Emailed to")).to_be_visible()
    secrets["revoked invitation token"] = brand.get_by_label(
        re.compile("Invitation link")).input_value().split("token=", 1)[1]
    brand.once("dialog", lambda dialog: dialog.accept())
    brand.get_by_role("button", name=f"Revoke {typo}").click()
    expect(brand.get_by_text("No pending invitation.")).to_be_visible()

    if "webhooks" in spec["services"]:  # the brand's endpoints page
        pages.go(brand, "Webhooks")
        brand.get_by_label("Endpoint URL").fill(f"{landing}/hooks")
        brand.get_by_role("checkbox", name=re.compile("^commission.approved")).check()
        brand.get_by_role("button", name="Add endpoint").click()
        secrets["webhook secret"] = brand.get_by_label(
            re.compile("Signing secret for")).input_value()
        expect(brand.locator("article[data-endpoint]")).to_have_count(1)
        brand.get_by_text("Delivery log").click()
        expect(brand.get_by_text("No delivery yet.")).to_be_visible()
        browser.shoot(brand, "brand-webhooks")

    if "webhooks" in spec["services"]:  # the partner's own endpoints: its side's types only
        pages.go(partner, "Webhooks")
        partner.get_by_label("Endpoint URL").fill(f"{landing}/partner-hooks")
        expect(partner.get_by_role("checkbox", name=re.compile("^payout.paid"))).to_be_visible()
        expect(partner.get_by_role("checkbox",
                                   name=re.compile("^conversion.rejected"))).to_have_count(0)
        partner.get_by_role("checkbox", name=re.compile("^payout.paid")).check()
        partner.get_by_role("button", name="Add endpoint").click()
        expect(partner.get_by_label(re.compile("Signing secret for"))).to_be_visible()
        expect(partner.locator("article[data-endpoint]")).to_have_count(1)

    # -- the partner joins the campaign and copies its link ----------------------------------
    pages.go(partner, "Campaigns")
    card = partner.locator("article.campaign", has_text=campaign_name)
    expect(card).to_contain_text("10% of each sale")

    def joined() -> bool:  # the activation reaches campaigns as an event: may be refused
        card = partner.locator("article.campaign", has_text=campaign_name)
        card.get_by_role("button", name=f"Join {campaign_name}").press("Enter")  # keyboard
        outcome = card.get_by_label("Your link").or_(card.locator(".inline-error:not(:empty)"))
        expect(outcome).to_be_visible()
        return card.get_by_label("Your link").count() > 0

    pages.until(partner, joined, message="joined")
    link = partner.get_by_label("Your link").input_value()
    partner.get_by_role("button", name="Copy").click()
    expect(partner.get_by_text("Copied.")).to_be_visible()
    assert partner.evaluate("navigator.clipboard.readText()") == link
    browser.shoot(partner, "partner-campaigns")
    own_rate(brand, partner, campaign_url, campaign_name)

    # -- a visitor opens the link and lands on the brand's shop ------------------------------
    visitor = browser.context(IPS["visitor"]).new_page()
    visitor.goto(link)
    expect(visitor.get_by_role("heading", name="Acme spring sale")).to_be_visible()
    assert visitor.url.startswith(f"{landing}/spring.html?click_id=")
    click_id = visitor.url.split("click_id=", 1)[1]

    # -- the shop's server posts the order with its API key ----------------------------------
    def shop_order(order_id: str, amount: str, click_id: str) -> requests.Response:
        return requests.post(f"{api}/api/v1/conversions",
                             headers={"Authorization": f"Bearer {key}"},
                             json={"order_id": order_id, "amount": amount, "currency": "USD",
                                   "click_id": click_id, "customer_ip": IPS["visitor"]},
                             timeout=10)

    order = shop_order(f"A-{run}", "200.00", click_id)
    assert order.status_code == 201 and order.json()["status"] == "ATTRIBUTED", order.text
    conversion_id = order.json()["conversion_id"]

    # -- Bea gives her link a code of her own: the new link lands, the old one is gone --
    old_link, link = link, vanity_code(partner, campaign_name, link)
    follow(visitor, link, f"{landing}/spring.html")
    gone(visitor, old_link)
    expect(visitor.get_by_role("heading", name="Acme spring sale")).to_have_count(0)

    # -- the partner links to one product: a deep link lands there, never on another site --
    pages.go(partner, "My links")
    builder = partner.get_by_label("Link to a page of the shop (optional)")
    builder.fill("https://elsewhere.example.net/jacket.html")
    expect(partner.get_by_text(f"Must be a page of {landing}.")).to_be_visible()
    builder.fill(f"{landing}/jacket.html")
    deep_link = partner.get_by_label("Deep link").input_value()
    browser.shoot(partner, "partner-links")
    shopper = browser.context(IPS["other"]).new_page()
    shopper.goto(deep_link)
    expect(shopper.get_by_role("heading", name="Acme rain jacket")).to_be_visible()
    assert shopper.url.startswith(f"{landing}/jacket.html?click_id=")
    shopper.goto(f"{link}?to=https://elsewhere.example.net/")  # an open redirect: refused
    expect(shopper.get_by_text("Must be a page of")).to_be_visible()

    # -- the partner sees the commission; the brand approves it -----------------------------
    pages.go(partner, "Commissions")
    pages.until(partner, lambda: pages.row(partner, "Pending").count() == 1,
                message="the pending commission")
    expect(pages.row(partner, "Pending")).to_contain_text("$30.00")  # 15% of 200.00
    browser.shoot(partner, "partner-commissions")
    pages.go(partner, "Conversions")
    expect(pages.row(partner, f"A-{run}")).to_contain_text("Attributed")
    expect(pages.row(partner, f"A-{run}")).to_contain_text("Link click")
    [order] = downloaded_csv(partner)  # theirs, without the customer's data
    assert order["order_id"] == f"A-{run}" and "customer_ip" not in order

    brand.goto(campaign_url)
    expect(brand.get_by_role("heading", name=campaign_name)).to_be_visible()
    expect(brand.locator("figure.chart-box svg")).to_be_visible()
    browser.shoot(brand, "brand-campaign")
    # the brand takes Bea's link out of its program, saying why; Bea reads it; then back in
    brand.get_by_role("button", name="Suspend Bea Lopez…").click()
    brand.get_by_label("A word for the partner (optional)").fill("Checking your traffic")
    brand.get_by_role("button", name="Suspend Bea Lopez", exact=True).click()
    expect(brand.get_by_text("Bea Lopez's link is suspended.")).to_be_visible()
    pages.go(partner, "My links")
    expect(partner.locator("article.card", has_text=campaign_name)).to_contain_text(
        "The brand said: Checking your traffic")
    reactivate = brand.get_by_role("button", name="Reactivate Bea Lopez")
    expect(brand.locator("tbody tr", has=reactivate)).to_contain_text("Suspended")
    reactivate.click()
    expect(brand.get_by_text("Bea Lopez's link is active again.")).to_be_visible()
    # Bea is paid the campaign's rate again from now on (her order keeps its 15%)
    brand.get_by_role("button", name="Back to the campaign's commission for Bea Lopez").click()
    expect(brand.get_by_text(
        "Bea Lopez is paid the campaign's commission again from now on.")).to_be_visible()
    expect(pages.row(brand, "Campaign's (10%)")).to_contain_text("Bea Lopez")
    pages.go(partner, "My links")
    expect(partner.locator("article.card", has_text=campaign_name)).not_to_contain_text(
        "Your commission")
    bonus(brand, partner)
    review_campaign(brand, partner, browser, run, landing)
    pages.go(brand, "Commissions")
    pending = brand.locator("tbody tr[data-status='PENDING']")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text("Bea Lopez")  # the brand's partners by name
    pending.get_by_role("button", name="Approve").press("Enter")  # keyboard alone
    expect(brand.locator("tbody tr[data-status='PENDING']")).to_have_count(0)
    brand.get_by_label("Status").select_option("APPROVED")
    expect(brand.locator("tbody tr[data-status='APPROVED']")).to_have_count(2)  # + the bonus
    expect(brand.locator("tbody tr[data-kind='bonus']")).to_contain_text(
        "Bonus: Great launch video")
    exported = downloaded_csv(brand)  # the list as its filter stands
    assert sorted((row["status"], row["kind"], row["amount"], row["currency"], row["model"],
                   row["conversion_id"], row["note"], row["partner_name"])
                  for row in exported) == [
        ("APPROVED", "bonus", "25.00", "USD", "", "", "Great launch video", "Bea Lopez"),
        ("APPROVED", "conversion", "30.00", "USD", "CPS", conversion_id, "", "Bea Lopez")], exported
    today = datetime.now(UTC).date()  # a period of days, both included (UTC)
    brand.get_by_label("From").fill((today - timedelta(days=1)).isoformat())
    brand.get_by_label("To (included)").fill(today.isoformat())
    expect(brand.locator("tbody tr[data-status='APPROVED']")).to_have_count(2)
    assert sorted(row["commission_id"] for row in downloaded_csv(brand)) == sorted(
        row["commission_id"] for row in exported)
    brand.get_by_label("To (included)").fill((today + timedelta(days=1)).isoformat())
    brand.get_by_label("From").fill((today + timedelta(days=1)).isoformat())
    expect(brand.get_by_text("No commission here.")).to_be_visible()
    assert downloaded_csv(brand) == []  # the header alone: nothing created tomorrow
    pages.go(brand, "Home")
    expect(brand.get_by_role("heading", name=acme_name)).to_be_visible()
    pages.until(brand, lambda: pages.row(brand, "Bea Lopez").count() == 1,
                message="Bea among the top partners")  # the stats arrive in batches
    expect(pages.row(brand, "Bea Lopez")).to_contain_text("$200.00")
    browser.shoot(brand, "brand-home")
    partner_report(brand, browser, campaign_name)

    # -- the operator runs the payout; the partner sees it paid ------------------------------
    pages.go(admin, "Payouts")
    admin.get_by_label("Currency").select_option("USD")
    admin.get_by_label("Threshold (optional)").fill("10.00")
    admin.get_by_label("Threshold (optional)").press("Enter")  # submits, as forms do
    expect(admin.get_by_text(re.compile(r"[1-9][0-9]* started"))).to_be_visible()
    under_way = ", ".join(f"tbody tr[data-status='{s}']" for s in ("PENDING", "HELD",
                                                                    "CONFIRMING"))
    pages.until(admin, lambda: admin.locator("tbody tr[data-status='PAID']").count() >= 1
                and admin.locator(under_way).count() == 0, message="the payout paid")
    browser.shoot(admin, "operator-payouts")
    pages.go(partner, "Payouts")
    pages.until(partner, lambda: partner.locator("tbody tr[data-status='PAID']").count() == 1,
                message="the partner's payout paid")
    expect(partner.locator("tbody tr[data-status='PAID']")).to_contain_text(
        "$55.00")  # 30.00 for the order + the 25.00 bonus, in one payout
    browser.shoot(partner, "partner-payouts")
    [statement] = downloaded_csv(partner)  # the partner's payout statement
    assert (statement["status"], statement["amount"], statement["currency"]) == (
        "PAID", "55.00", "USD")
    assert statement["psp_reference"]  # what the PSP's own statement names
    pages.go(partner, "Home")
    expect(partner.locator("figure.chart-box svg")).to_be_visible()
    expect(partner.locator(".chart-summary")).to_contain_text("1 conversion,")
    browser.shoot(partner, "partner-home")
    pages.go(admin, "Dead letters")
    expect(admin.get_by_text("No dead letter").or_(admin.locator("table"))).to_be_visible()
    browser.shoot(admin, "operator-dead-letters")

    # -- two more orders: the brand approves both at once ----------------------------------
    approve_at_once(brand, visitor, shop_order, link, landing, run)

    # -- pages load in well under a second (a fresh load: the page, its files, its data) --
    timings = {}
    for who, page, path, ready in (
            ("partner home", partner, "/app/partner", "figure.chart-box svg"),
            ("brand home", brand, f"/app/brands/{brand_id}", "tbody tr"),
            ("campaign", brand, campaign_url, "figure.chart-box svg"),
            ("operator payouts", admin, "/app/admin/payouts", "tbody tr")):
        began = time.monotonic()
        page.goto(path)
        page.locator(ready).first.wait_for()
        timings[who] = round((time.monotonic() - began) * 1000)

    # -- a request without the CSRF token is refused -----------------------------------------
    refused = brand.evaluate("""async (path) => {
        const answer = await fetch(path, {method: "POST", credentials: "same-origin",
            headers: {"Content-Type": "application/json"},
            body: JSON.stringify({name: "forged", scopes: ["reports:read"]})});
        return [answer.status, (await answer.json()).error.code];
    }""", f"/api/v1/brands/{brand_id}/api-keys")
    assert refused == [403, "csrf_failed"]

    # -- the brand revokes its key: refused within 5 s ---------------------------------------
    pages.go(brand, "API keys")
    brand.once("dialog", lambda dialog: dialog.accept())
    brand.get_by_role("button", name="Revoke shop server").click()
    revoked_at = time.monotonic()
    expect(pages.row(brand, "shop server")).to_contain_text("Revoked")
    wait_for(lambda: requests.post(f"{api}/api/v1/conversions", timeout=5, headers={
        "Authorization": f"Bearer {key}"}, json={"order_id": f"B-{uuid.uuid4().hex[:6]}",
                                                 "amount": "5.00", "currency": "USD"}
    ).status_code == 401, timeout=5, interval=0.2, message="the revoked key refused")
    assert time.monotonic() - revoked_at < 5

    # -- another brand's and another partner's objects: 404 on every page and route --------
    other = other_world(api, secret, IPS["other"], run, spec["services"])
    secrets["other API key"] = other["key"]
    for path in (f"/app/brands/{other['brand_id']}",
                 f"/app/brands/{other['brand_id']}/campaigns/{other['campaign_id']}",
                 f"/app/brands/{brand_id}/campaigns/{other['campaign_id']}",
                 f"/app/brands/{other['brand_id']}/conversions",
                 f"/app/brands/{other['brand_id']}/commissions",
                 f"/app/brands/{other['brand_id']}/reports",
                 f"/app/brands/{other['brand_id']}/api-keys",
                 f"/app/brands/{other['brand_id']}/users"):
        brand.goto(path)
        expect(brand.get_by_role("heading", name="Not found")).to_be_visible()
        content = brand.content()
        assert "Other campaign" not in content and other["brand_name"] not in content, path
    assert every_route_hides(brand, BRAND, other, spec["services"]) > 10
    assert every_route_hides(partner, PARTNER, other, spec["services"]) > 5
    brand.goto(campaign_url)  # its own campaign still shows: the 404s are ownership
    expect(brand.get_by_role("heading", name=campaign_name)).to_be_visible()

    for context, who in ((partner_ctx, "partner"), (brand_ctx, "owner"), (admin_ctx, "admin")):
        cookie = next(c["value"] for c in context.cookies() if c["name"] == "alpes_session")
        secrets[f"{who} session cookie"] = cookie
    for page, who in ((partner, "partner"), (brand, "owner"), (admin, "admin")):
        secrets[f"{who} CSRF token"] = page.evaluate(
            "fetch('/api/v1/auth/session').then(r => r.json()).then(b => b.csrf_token)")
    secrets["other JWT"] = other["partner_token"]
    if other.get("webhook secret"):
        secrets["other webhook secret"] = other["webhook secret"]

    # -- the partner signs out everywhere, from its account page ------------------------------
    partner.get_by_role("link", name=partner_email).click()
    partner.once("dialog", lambda dialog: dialog.accept())  # "...this one included?"
    partner.get_by_role("button", name="Sign out everywhere").click()
    expect(partner.get_by_text("You are signed out on every device.")).to_be_visible()
    expect(partner.get_by_role("heading", name="Sign in")).to_be_visible()
    return {"secrets": secrets, "timings_ms": timings}


def other_world(api: str, secret: str, ip: str, run: str, services: list[str]) -> dict:
    """Brand B and partner B, with B's campaign, enrollment, conversion, commission and
    API key, made through the API with bearer tokens (what the browser must never see)."""
    codec = TokenCodec(secret)
    admin = {"Authorization": f"Bearer {codec.mint(ADMIN, 'ops', 600)}",
             "X-Forwarded-For": ip}

    def call(method, path, headers, expect=(200, 201), **kwargs):
        answer = requests.request(method, api + path, headers=headers, timeout=10, **kwargs)
        assert answer.status_code in expect, (path, answer.text)
        return answer.json()

    name = f"Other brand {run}"
    brand_id = call("POST", "/api/v1/brands", admin, json={"name": name,
                                                          "currency": "USD"})["brand_id"]
    as_brand = {"Authorization": f"Bearer {codec.mint(BRAND, brand_id, 600)}"}
    campaign_id = call("POST", f"/api/v1/brands/{brand_id}/campaigns", as_brand, json={
        "name": "Other campaign", "currency": "USD", "landing_url": "https://other.example.com",
        "budget": {"amount": "500.00", "currency": "USD"},
        "terms": {"model": "CPS", "rate": "0.20", "attribution_window_days": 30,
                  "hold_days": 0}})["campaign_id"]
    call("POST", f"/api/v1/campaigns/{campaign_id}/activate", as_brand)
    signup = call("POST", "/api/v1/partners/signup", {"X-Forwarded-For": "192.0.2.98"}, json={
        "name": "Other partner", "email": f"other-{run}@example.com", "type": "media",
        "country": "FR", "payout_method": {"type": "paypal", "email": f"other-{run}@example.com"}})
    partner_id = signup["partner"]["partner_id"]
    for step in ("verify", "activate"):
        call("POST", f"/api/v1/partners/{partner_id}/{step}", admin)
    as_partner = {"Authorization": f"Bearer {signup['token']['access_token']}",
                  "X-Forwarded-For": "192.0.2.98"}
    deadline, enrollment = time.monotonic() + 15, None
    while enrollment is None:  # the activation reaches campaigns as an event
        answer = requests.post(f"{api}/api/v1/partners/{partner_id}/enrollments",
                               headers=as_partner, json={"campaign_id": campaign_id}, timeout=10)
        if answer.status_code == 201:
            enrollment = answer.json()
        else:
            assert time.monotonic() < deadline, answer.text
            time.sleep(0.3)
    def followed():  # the link works once partner_enrolled reaches the BFF (ms; more if busy)
        answer = requests.get(f"{api}/r/{enrollment['referral_code']}", allow_redirects=False,
                              headers={"X-Forwarded-For": "198.51.100.77"}, timeout=10)
        assert answer.status_code in (302, 404), (answer.status_code, answer.text)
        return answer if answer.status_code == 302 else None

    redirect = wait_for(followed, timeout=15, message="the new link redirects")
    click_id = redirect.headers["Location"].split("click_id=", 1)[1]
    conversion = call("POST", "/api/v1/conversions", as_brand, json={
        "order_id": f"B-{run}", "amount": "100.00", "currency": "USD", "click_id": click_id,
        "customer_ip": "198.51.100.77"})
    commission = wait_for(lambda: call("GET", f"/api/v1/brands/{brand_id}/commissions",
                                       as_brand)["items"], timeout=15, message="B's commission")
    key = call("POST", f"/api/v1/brands/{brand_id}/api-keys", admin,
               json={"name": "other", "scopes": ["reports:read"]})
    invited = call("POST", f"/api/v1/brands/{brand_id}/invitations", admin, json={
        "email": f"other-user-{run}@example.com", "brand_role": "member"})
    user = call("POST", "/api/v1/auth/invitations/accept", {}, json={
        "token": invited["token"], "password": "other user password"})
    hooks = {}
    if "webhooks" in services:
        endpoint = call("POST", "/api/v1/webhooks/endpoints", as_brand, json={
            "url": "http://127.0.0.1:9/other-hooks", "event_types": ["commission.approved"]})
        test = call("POST", f"/api/v1/webhooks/endpoints/{endpoint['endpoint_id']}/test",
                    as_brand, expect=(202,))
        hooks = {"endpoint_id": endpoint["endpoint_id"], "delivery_id": test["delivery_id"],
                 "webhook secret": endpoint["secret"]}
    return {**hooks, "brand_id": brand_id, "brand_name": name, "campaign_id": campaign_id,
            "partner_id": partner_id, "conversion_id": conversion["conversion_id"],
            "commission_id": commission[0]["commission_id"], "key": key["key"],
            "api_key_id": key["api_key"]["api_key_id"], "account_id": user["account_id"],
            "payout_id": str(uuid.uuid4()), "dead_letter_id": str(uuid.uuid4()),
            "partner_token": signup["token"]["access_token"]}


def every_route_hides(page, role: str, other: dict, services: list[str]) -> int:
    """Every API route with an id, called from the signed-in page (its session cookie and
    CSRF token) on the other side's objects: 404 like a missing object where the role may
    call it, 403 where it may not. Nothing of theirs in any answer."""
    from tests.reliability.test_access import Side, bodies

    csrf = page.evaluate(
        "fetch('/api/v1/auth/session').then(r => r.json()).then(b => b.csrf_token)")
    side = Side("B", "", "", {**other, "campaign_id": other["campaign_id"]})
    checked = 0
    for route in ROUTES:
        if not any(name.endswith("_id") for name in route.variables):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>",
                      lambda m: other.get(m.group(1)) or str(uuid.uuid4()), route.path)
        body = bodies(side).get(route.name) if route.body else None
        if route.path.startswith("/api/v1/webhooks") and "webhooks" not in services:
            continue  # its service is not in this stack (test_access.py covers the route)
        if route.body and body is None:
            continue  # no valid body known here: tests/reliability/test_access.py has them
        answer = page.request.fetch(path, method=route.method, data=body,
                                    headers={"X-CSRF-Token": csrf})
        expected = 404 if role in route.roles else 403
        assert answer.status == expected, (route.method, route.path, answer.status,
                                           answer.text()[:300])
        if expected == 404:
            error = answer.json()["error"]
            assert (error["code"], error["message"]) == ("not_found", NOT_FOUND_MESSAGE)
        text = answer.text()
        assert other["brand_name"] not in text and "Other campaign" not in text
        checked += 1
    return checked


def sign_in_failures(browser: Browser, spec: dict) -> dict:
    """Wrong password, lock-out and a reset link that ends it, an expired session, CSRF
    refused (a stack with a 3-failure lock-out and sessions ending after 3 s idle)."""
    api, run = spec["api"], spec["run"]
    secrets: dict[str, str] = {}
    accounts = {}
    for who in ("locked", "idle"):
        email, password = f"{who}-{run}@example.com", f"{who} password {uuid.uuid4().hex}"
        answer = requests.post(f"{api}/api/v1/partners/signup", timeout=10, json={
            "name": who.title(), "email": email, "type": "media", "country": "FR",
            "password": password}, headers={"X-Forwarded-For": "192.0.2.50"})
        assert answer.status_code == 201, answer.text
        accounts[who] = (email, password)
        secrets[f"{who} password"] = password
        secrets[f"{who} JWT"] = answer.json()["token"]["access_token"]
    page = browser.context("203.0.113.50").new_page()

    # a wrong password: said beside the form, the same words as an unknown email; the
    # answer never holds what was typed
    email, password = accounts["locked"]
    typed = f"typed {uuid.uuid4().hex}"
    refused = requests.post(f"{api}/api/v1/auth/login", json={"email": email, "password": typed},
                            headers={"X-Forwarded-For": "192.0.2.51"}, timeout=10)
    assert refused.status_code == 401 and typed not in refused.text, refused.text
    secrets["typed password"] = typed
    pages.sign_in(page, email, "not the password at all")
    assert pages.form_error(page) == "Wrong email or password."
    expect(page.get_by_role("alert").filter(has_text="Wrong email")).to_be_focused()
    browser.shoot(page, "sign-in-wrong-password")
    pages.sign_in(page, f"nobody-{run}@example.com", "not the password at all")
    assert pages.form_error(page) == "Wrong email or password."

    # locked out after 3 failures: even the right password is refused, in words
    for _ in range(2):
        pages.sign_in(page, email, "still not the password")
        pages.form_error(page)
    pages.sign_in(page, email, password)
    assert "Too many failed attempts" in pages.form_error(page)
    assert page.url.endswith("/app/login")

    # the operator's reset link: a new password, and the lock-out is over
    issued = requests.post(f"{api}/api/v1/admin/password-resets", timeout=10,
                           json={"email": email},
                           headers={"Authorization": f"Bearer {spec['admin_token']}"})
    assert issued.status_code == 201, issued.text
    secrets["reset token"] = issued.json()["token"]
    page.goto(f"/app/reset#token={issued.json()['token']}")
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    new_password = f"locked new password {uuid.uuid4().hex}"
    secrets["locked new password"] = new_password
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("Type it again").fill(f"{new_password}!")
    page.get_by_role("button", name="Set my password").click()
    assert pages.field_error(page, "Type it again") == "The two passwords differ."
    page.get_by_label("Type it again").fill(new_password)
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_text("Your password is set: sign in.")).to_be_visible()
    assert "token" not in page.url  # it leaves the address bar
    pages.sign_in(page, email, new_password, lands="/app/partner$")
    pages.sign_out(page)

    # an expired session: the next page says so and asks to sign in again
    email, password = accounts["idle"]
    pages.sign_in(page, email, password, lands="/app/partner$")
    expect(page.get_by_role("heading", name="Your partner home")).to_be_visible()
    time.sleep(spec["idle_seconds"] + 4.5)  # idle, then the BFF's credential cache
    pages.go(page, "Profile")
    expect(page.get_by_text("Your session has ended. Sign in again.")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert "next=%2Fapp%2Fpartner%2Fprofile" in page.url
    browser.shoot(page, "sign-in-session-ended")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()  # back there

    # CSRF: a change without the token is refused; with it, done
    partner_id = page.evaluate(
        "fetch('/api/v1/auth/session').then(r => r.json()).then(b => b.principal.subject)")
    forged = page.evaluate("""async (path) => {
        const answer = await fetch(path, {method: "PATCH", credentials: "same-origin",
            headers: {"Content-Type": "application/json"},
            body: JSON.stringify({payout_method: {type: "paypal", email: "x@example.com"}})});
        return [answer.status, (await answer.json()).error.code];
    }""", f"/api/v1/partners/{partner_id}")
    assert forged == [403, "csrf_failed"]
    page.get_by_label("How you get paid").select_option("paypal")
    page.get_by_label("PayPal email").fill(email)
    page.get_by_role("button", name="Save payout method").click()
    expect(page.get_by_text("Payout method saved.")).to_be_visible()
    browser.shoot(page, "partner-profile")
    cookie = next(c["value"] for c in page.context.cookies() if c["name"] == "alpes_session")
    secrets["session cookie"] = cookie
    return {"secrets": secrets}


def forgotten_password(browser: Browser, spec: dict) -> dict:
    """A partner forgets the password: "Forgot your password?" on the sign-in page, the
    link emailed (the stack's Maildir) opened, a new password chosen; the new one signs
    in, the old one no longer does."""
    api, run = spec["api"], spec["run"]
    email, password = f"forgetful-{run}@example.com", f"forgotten pass {uuid.uuid4().hex}"
    signed_up = requests.post(f"{api}/api/v1/partners/signup", timeout=10, json={
        "name": "Forgetful", "email": email, "type": "media", "country": "FR",
        "password": password}, headers={"X-Forwarded-For": "192.0.2.60"})
    assert signed_up.status_code == 201, signed_up.text
    page = browser.context("203.0.113.60").new_page()

    page.goto("/app/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    page.get_by_label("Email", exact=True).fill("not an email")
    page.get_by_role("button", name="Send me a link").click()
    assert pages.field_error(page, "Email") == "Not a valid email address."
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_role("button", name="Send me a link").click()
    # the page's notice (the screen readers' live region says it too, 30 ms later)
    expect(page.locator("#main").get_by_text(
        "If an account has this email, a link to choose a new password is on its way.")
    ).to_be_visible()
    browser.shoot(page, "sign-in-forgotten-password")

    link = wait_for(lambda: emailed_reset_link(spec["maildir"], email), timeout=10,
                    message="the email with the reset link")
    assert link.startswith(f"{api}/app/reset#token=pwr_"), link
    token = link.split("token=", 1)[1]
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    new_password = f"remembered pass {uuid.uuid4().hex}"
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("Type it again").fill(new_password)
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_text("Your password is set: sign in.")).to_be_visible()
    assert "token" not in page.url

    pages.sign_in(page, email, new_password, lands="/app/partner$")
    expect(page.get_by_role("heading", name="Your partner home")).to_be_visible()
    pages.sign_out(page)
    pages.sign_in(page, email, password)
    assert pages.form_error(page) == "Wrong email or password."
    return {"secrets": {"old password": password, "new password": new_password,
                        "reset token": token}}


RESET_LINK = re.compile(r"https?://[^\s<>\"]+/app/reset#token=[\w-]+")


def downloaded_csv(page) -> list[dict]:
    """The rows of the page's "Download CSV", as the browser saved it."""
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download CSV").click()
    download = downloading.value
    assert download.suggested_filename.endswith(".csv"), download.suggested_filename
    return list(csv.DictReader(io.StringIO(pathlib.Path(download.path()).read_text())))


def emailed_reset_link(maildir: str, to: str) -> str | None:
    """The reset link in the newest message of the Maildir, which must be to ``to``;
    None while there is none."""
    try:
        box = mailbox.Maildir(maildir, create=False)
        newest = max(box.keys(), key=lambda key: box.get_message(key).get_date(),
                     default=None)
    except (mailbox.NoSuchMailboxError, FileNotFoundError):  # nothing delivered yet
        return None
    if newest is None:
        return None
    message = message_from_bytes(box.get_bytes(newest), policy=policy.default)
    assert to in str(message["To"]), message["To"]
    found = RESET_LINK.search(message.get_body(("plain",)).get_content())
    assert found, message.get_body(("plain",)).get_content()
    return found.group(0)


def keep_evidence(browser: Browser) -> None:
    """On a failure: a screenshot of every open page, named in the output."""
    folder = pathlib.Path(os.environ.get("ALPES_FAILURE_SHOTS", "/tmp/alpes-browser-failure"))
    folder.mkdir(parents=True, exist_ok=True)
    for c, context in enumerate(browser.browser.contexts):
        for p, page in enumerate(context.pages):
            path = folder / f"context{c}-page{p}.png"
            try:
                page.screenshot(path=str(path), full_page=True, timeout=5000)
                print(f"failure screenshot: {path} ({page.url})", file=sys.stderr)
            except Exception:  # noqa: BLE001 -- evidence is best effort
                pass


SCENARIOS = {"story": story, "sign_in_failures": sign_in_failures,
             "forgotten_password": forgotten_password}


def main() -> int:
    name = sys.argv[1]
    spec = json.loads(sys.stdin.read())
    with sync_playwright() as playwright:
        browser = Browser(playwright, spec["api"])
        try:
            result = SCENARIOS[name](browser, spec)
        except BaseException:
            keep_evidence(browser)
            raise
        finally:
            browser.browser.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
