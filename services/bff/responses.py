"""werkzeug Responses of the API: JSON bodies, the error shape, HTML pages; and the
referral redirect's own, lighter ``Redirect`` (the API's only redirect)."""
from __future__ import annotations

import html
import os
import re
from typing import Any

from werkzeug.urls import iri_to_uri
from werkzeug.wrappers import Response

from services.bff import jsonio
from services.bff.errors import ApiError

JSON = "application/json"
REQUEST_ID_HEADER = "X-Request-Id"
_API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_from(header: str | None) -> str:
    """The client's id when it is safe to log and echo, else a new one."""
    if header and _REQUEST_ID.match(header):
        return header
    return random_uuid()


def random_uuid() -> str:
    """A random (version 4) UUID in its canonical form: ``str(uuid.uuid4())`` without
    building a ``uuid.UUID`` (minted for most requests)."""
    text = os.urandom(16).hex()
    variant = "89ab"[int(text[16], 16) & 0x3]
    return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-{variant}{text[17:20]}-{text[20:]}"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> Response:
    return Response(jsonio.dumps(body), status=status, mimetype=JSON,
                    headers={**_API_HEADERS, **(headers or {})})


def error_response(error: ApiError, request_id: str, html_page: bool = False) -> Response:
    if html_page:
        return html_error_page(error, request_id)
    return json_response(error.body(request_id), error.status, error.headers)


def html_error_page(error: ApiError, request_id: str) -> Response:
    """For people following a link in a browser (``/r/<code>``)."""
    message, rid = html.escape(error.message), html.escape(request_id)
    page = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{error.status}</title>"
            f"</head><body><h1>{message}</h1>{_field_list(error.fields)}"
            f"<p>Request id: {rid}</p></body></html>")
    return Response(page, status=error.status, mimetype="text/html",
                    headers={**_API_HEADERS, **error.headers})


def _field_list(fields: dict[str, Any]) -> str:
    """What was wrong with each field, for a person (a deep link to another site...)."""
    def said(problems: Any) -> str:
        return " ".join(map(str, problems)) if isinstance(problems, list) else str(problems)

    items = "".join(f"<li><code>{html.escape(str(name))}</code>: "
                    f"{html.escape(said(problems))}</li>" for name, problems in fields.items())
    return f"<ul>{items}</ul>" if items else ""


class Redirect:
    """A 302 to ``location`` (already a URI: ``uri``), answered as a werkzeug
    ``Response`` with that ``Location`` would be -- the same status line and headers, no
    body -- without building one: the referral redirect answers thousands a second. The
    entrypoint (``web.ApiRoute``) and the WSGI app pass it through as it is."""

    __slots__ = ("headers",)
    status_code = 302
    status = "302 FOUND"

    def __init__(self, uri: str):
        self.headers = {"Location": uri, **_API_HEADERS,
                        "Content-Type": "text/plain; charset=utf-8", "Content-Length": "0"}

    def __call__(self, environ, start_response):
        start_response(self.status, list(self.headers.items()))
        return ()

    def get_data(self, as_text: bool = False) -> str | bytes:
        return "" if as_text else b""


def uri(location: str) -> str:
    """``location`` as werkzeug sends a ``Location`` header: an IRI made a URI."""
    return iri_to_uri(location)


def wants_html(accept: Any) -> bool:
    """A browser (``text/html`` preferred over JSON) gets an HTML page."""
    return accept.quality("text/html") > accept.quality(JSON)
