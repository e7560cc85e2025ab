"""The web front end's files: the page for / and every /app route, our assets, nothing
else; a strict Content-Security-Policy; ETag revalidation. And the partner's chart."""
import re

import pytest

from services.bff import charts, webapp


@pytest.mark.parametrize("path", ["/", "/app", "/app/login", "/app/brands/x/campaigns/new"])
def test_the_page_answers_every_client_route(path):
    answer = webapp.file_response(path)
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    assert b'<script type="module" src="/assets/js/app.js">' in answer.get_data()


@pytest.mark.parametrize("path, media_type", [("/assets/app.css", "text/css"),
                                               ("/assets/js/app.js", "text/javascript"),
                                               ("/assets/js/pages/brand.js", "text/javascript"),
                                               ("/assets/favicon.svg", "image/svg+xml")])
def test_assets_are_served_with_their_media_type(path, media_type):
    answer = webapp.file_response(path)
    assert answer.status_code == 200 and answer.mimetype == media_type


@pytest.mark.parametrize("path", ["/assets/../webapp.py", "/assets/js/../../index.html",
                                  "/assets/.hidden.js", "/assets/js/app.js.map",
                                  "/assets/nothing.js", "/application", "/api/v1/x",
                                  "/assets/JS/APP.JS", "/assets/js//app.js"])
def test_nothing_else_is_served(path):
    assert webapp.file_response(path) is None


def test_every_answer_has_a_strict_policy_and_revalidates():
    answer = webapp.file_response("/assets/js/app.js")
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Cache-Control"] == "no-cache"
    again = webapp.file_response("/assets/js/app.js", answer.headers["ETag"])
    assert again.status_code == 304 and again.get_data() == b""


def test_the_pages_only_build_the_dom_with_text():
    """No innerHTML / outerHTML / insertAdjacentHTML / document.write anywhere: nothing an
    API answer holds can become markup."""
    for path in (webapp.ROOT / "assets").rglob("*.js"):
        source = path.read_text()
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write",
                             source), path


def test_the_chart_has_every_day_traffic_summed_and_earnings_per_currency():
    window = {"from": "2025-05-01", "to": "2025-05-03"}
    stats = {"campaigns": [
        {"days": [{"day": "2025-05-01", "clicks": 3, "conversions": 1},
                  {"day": "2025-05-02", "clicks": 1, "conversions": 0}]},
        {"days": [{"day": "2025-05-01", "clicks": 2, "conversions": 1}]}]}
    commissions = {"total": 3, "items": [
        {"occurred_at": "2025-05-02T10:00:00Z", "status": "PENDING",
         "amount": {"amount": "1.50", "currency": "EUR"}},
        {"occurred_at": "2025-05-01T09:00:00Z", "status": "PAID",
         "amount": {"amount": "20.00", "currency": "USD"}},
        {"occurred_at": "2025-05-01T08:00:00Z", "status": "DECLINED",
         "amount": {"amount": "99.00", "currency": "USD"}}]}
    chart = charts.partner_chart(window, stats, commissions)
    assert [d["day"] for d in chart["days"]] == ["2025-05-01", "2025-05-02", "2025-05-03"]
    assert [(d["clicks"], d["conversions"]) for d in chart["days"]] == [(5, 2), (1, 0), (0, 0)]
    assert chart["days"][0]["earnings"] == [{"amount": "20.00", "currency": "USD"}]
    assert chart["days"][1]["earnings"] == [{"amount": "1.50", "currency": "EUR"}]
    assert chart["currencies"] == ["EUR", "USD"] and chart["complete"] is True


def test_the_chart_says_when_its_earnings_are_partial_or_missing():
    window = {"from": "2025-05-01", "to": "2025-05-02"}
    page = {"total": 500, "items": [{"occurred_at": "2025-05-02T10:00:00Z",
                                     "status": "PAID",
                                     "amount": {"amount": "1", "currency": "JPY"}}]}
    assert charts.partner_chart(window, None, page)["complete"] is False
    missing = charts.partner_chart(window, None, None)
    assert missing["complete"] is False and missing["currencies"] == []
