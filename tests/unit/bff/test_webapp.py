"""The web front end's files: the page for / and every /app route, our assets, nothing
else; a strict Content-Security-Policy; ETag revalidation."""
import re

import pytest

from services.bff import webapp


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
