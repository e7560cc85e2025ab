"""An HTTP client of the BFF for tests: tokens per role, JSON in and out."""
from __future__ import annotations

import re
import uuid
from typing import Any

import requests

from services.bff.tokens import mint

ADMIN_SUBJECT = "ops"


class Api:
    def __init__(self, base_url: str, config: dict):
        self.base_url = base_url
        self.config = config
        self.session = requests.Session()

    # tokens ----------------------------------------------------------------------------
    def admin(self) -> str:
        return mint("admin", ADMIN_SUBJECT)

    def brand(self, brand_id: str) -> str:
        return mint("brand", brand_id)

    def partner(self, partner_id: str) -> str:
        return mint("partner", partner_id)

    # requests --------------------------------------------------------------------------
    def request(self, method: str, path: str, token: str | None = None, *,
                json: Any = None, headers: dict | None = None, **kwargs) -> requests.Response:
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.session.request(method, self.base_url + path, json=json,
                                        headers=headers, allow_redirects=False, timeout=15,
                                        **kwargs)
        assert_no_internals(response)
        return response

    def get(self, path: str, token: str | None = None, **kwargs) -> requests.Response:
        return self.request("GET", path, token, **kwargs)

    def post(self, path: str, token: str | None = None, **kwargs) -> requests.Response:
        return self.request("POST", path, token, **kwargs)

    def patch(self, path: str, token: str | None = None, **kwargs) -> requests.Response:
        return self.request("PATCH", path, token, **kwargs)

    def put(self, path: str, token: str | None = None, **kwargs) -> requests.Response:
        return self.request("PUT", path, token, **kwargs)

    def delete(self, path: str, token: str | None = None, **kwargs) -> requests.Response:
        return self.request("DELETE", path, token, **kwargs)


INTERNALS = re.compile(
    r"Traceback|File \"|\.py\b|\b(services|common|nameko|werkzeug)\.[a-z_]+"
    r"|\b[A-Z][A-Za-z]*(Error|Exception)\b")


def assert_no_internals(response: requests.Response) -> None:
    """Every answer of every BFF test: no traceback, exception class or module path."""
    leak = INTERNALS.search(response.text)
    assert leak is None, f"{response.request.method} {response.url} leaks {leak.group(0)!r}"


def new_id() -> str:
    return str(uuid.uuid4())
