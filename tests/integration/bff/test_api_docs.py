"""Swagger UI at /api/v1/docs: the page loads the served OpenAPI document and Swagger
UI's files, which the BFF serves from the installed swagger-ui-bundle package."""
from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
import requests
from swagger_ui_bundle import swagger_ui_path


@pytest.fixture
def api(start_bff):
    return start_bff()


def test_the_docs_page_loads_the_openapi_document_and_swagger_ui(api):
    page = api.get("/api/v1/docs")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["X-Request-Id"]
    [spec] = re.findall(r'url: "([^"]+)"', page.text)
    assert urljoin(page.url, spec) == api.base_url + "/api/v1/openapi.json"
    document = requests.get(urljoin(page.url, spec), timeout=5)
    assert document.status_code == 200 and document.json()["openapi"].startswith("3.")

    files = re.findall(r'(?:href|src)="([^"]+)"', page.text)
    assert len(files) == 2
    for name in files:
        # fetched without the test client's leak check: Swagger UI's own code names
        # JavaScript's error classes
        answer = requests.get(urljoin(page.url, name), timeout=5)
        assert answer.status_code == 200, name
        expected = "text/css" if name.endswith(".css") else "text/javascript"
        assert answer.headers["Content-Type"].startswith(expected), name
        assert answer.content == (swagger_ui_path / name.rsplit("/", 1)[-1]).read_bytes()
        assert answer.headers["X-Request-Id"]


def test_a_file_swagger_ui_does_not_ship_is_no_route(api):
    for path in ("/api/v1/docs/index.html", "/api/v1/docs/%2e%2e/openapi.json",
                 "/api/v1/docs/", "/api/v1/docs/swagger-ui.css/x"):
        answer = api.get(path)
        assert answer.status_code == 404, path
        assert answer.json()["error"]["code"] == "route_not_found"
