"""The whole story in a browser, every service a `nameko run` process.

A partner signs up and signs in; an operator verifies and activates it, registers a
brand and invites its owner; the owner creates a campaign (the API's field errors shown
beside the fields), activates it and makes an API key; the partner joins the campaign and
copies its link; the brand pays it its own rate (15% in place of the campaign's 10%; 150%
refused beside the field) and the partner reads it on its link; a visitor opens the link
and lands on the brand's shop; the shop's server posts the order with the key; the
partner gives its link a code of its own ("b!" refused beside the field, "BEA-SPRING"
taken as bea-spring): the new link lands on the shop, the old one answers 404 within 5 s;
the partner sees the commission (15% of it); the brand pays it the campaign's rate again,
awards it a bonus (more than the budget has left refused beside the amount; 25.00 "Great
launch video" approved at once, which the partner reads among its commissions) and
approves the order's commission; in a second campaign, which reviews its partners, Bea
applies, withdraws, applies again, is declined then approved, leaves and joins again, and
the brand picks her link's code there (her other link's, bea-spring, refused as taken);
the brand reads her order on its partner performance report (all campaigns, then the
Spring sale; its CSV as filtered; a period ending before it starts refused); the operator
runs the payout; the partner sees both paid in one (55.00); after it, two more orders,
whose commissions the brand approves at once ("Approve selected (2)"). Then: the revoked
key is refused within 5 s, a request without the CSRF token is refused, another brand's
and another partner's objects answer 404 through every page and every API route, and no
password, key, session, CSRF or invitation token is in any service's log.
"""
from __future__ import annotations

import json
import mailbox
import time
import uuid

from nameko.testing.utils import find_free_port

from tests.e2e.browser.conftest import create_admin, drive
from tests.support import wait_for

SERVICES = ("partners", "campaigns", "tracking", "commissions", "payouts", "identity",
            "webhooks", "bff")
EVENT_SOURCES = ("partners", "campaigns", "tracking", "commissions", "payouts", "identity",
                 "webhooks")
SECRET = f"browser-{uuid.uuid4().hex}{uuid.uuid4().hex}"


def stack_env(port: int) -> dict:
    return {"ALPES_JWT_SECRET": SECRET, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "BFF_TRUST_FORWARDED_FOR": "true",
            "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST_KIB": "8192",
            "TRACKING_TOO_FAST_SECONDS": "0", "COMMISSIONS_APPROVAL_INTERVAL": "1",
            "PAYOUTS_SAGA_INTERVAL": "0.5", "BFF_RATE_SIGNUP": "1000",
            "WEBHOOKS_ALLOW_HTTP": "true", "WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS": "true"}


def test_partner_brand_and_operator_story_in_a_browser(start_stack, e2e_env, landing_site,
                                                       event_probe, tmp_path):
    started = time.monotonic()
    probes = [event_probe(source) for source in EVENT_SOURCES]  # every event published
    port = find_free_port()
    env = stack_env(port)
    start_stack(*SERVICES, extra_env=env)
    run = uuid.uuid4().hex[:6]
    admin = {"admin_email": f"ops-{run}@example.com",
             "admin_password": f"operator pass {uuid.uuid4().hex}"}
    create_admin({**e2e_env, **env}, admin["admin_email"], admin["admin_password"])
    result = drive("story", {"api": f"http://127.0.0.1:{port}", "landing": landing_site,
                             "secret": SECRET, "run": run, "services": SERVICES, **admin},
                   timeout=150)

    # the news, emailed: the brand's owner when Bea applied; Bea when declined (with the
    # brand's word), when approved, when her link was suspended and back, when the brand
    # gave her her own commission and took it back, when it awarded her a bonus, and paid
    # (the order's 30.00 and the 25.00 bonus in one payout)
    inbox = e2e_env["IDENTITY_MAIL_URL"].removeprefix("maildir:")
    news = {(f"owner-{run}@example.com", f"A partner applied to Ambassadors {run}"),
            (f"bea-{run}@example.com", f"Your application to Ambassadors {run}"),
            (f"bea-{run}@example.com", f"You are in: Ambassadors {run}"),
            (f"bea-{run}@example.com", "Your payout of 55.00 USD is on its way"),
            (f"bea-{run}@example.com", f"Your link for Spring sale {run} is suspended"),
            (f"bea-{run}@example.com", f"Your link for Spring sale {run} works again"),
            (f"bea-{run}@example.com", f"Your own commission for Spring sale {run}"),
            (f"bea-{run}@example.com", f"Your commission for Spring sale {run}"),
            (f"bea-{run}@example.com", "You earned a bonus of 25.00 USD")}
    wait_for(lambda: news <= {(m["To"], m["Subject"]) for m in mailbox.Maildir(inbox)},
             timeout=10, message="the news emails")

    events = json.dumps([event for probe in probes for event in probe.drain(settle=0.5)])
    assert "conversion_attributed" in events and "account_created" in events  # seen
    logs = "\n".join(path.read_text(errors="replace")
                     for path in (tmp_path / "logs").glob("*.log"))
    assert "POST /api/v1/auth/login -> 200" in logs  # the access lines are there
    assert len(result["secrets"]) >= 12
    for name, secret in result["secrets"].items():
        assert secret and secret not in logs, f"{name} in the services' logs"
        assert secret not in events, f"{name} in an event's payload"
    print("page loads (ms):", result["timings_ms"])
    slow = {page: ms for page, ms in result["timings_ms"].items() if ms > 1500}
    assert not slow, f"pages too slow to load: {slow}"
    assert time.monotonic() - started < 180, "the browser story takes too long"
