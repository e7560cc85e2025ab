"""werkzeug Responses of the API: JSON bodies, the error shape, redirects, HTML pages."""
from __future__ import annotations

import html
import re
import uuid
from typing import Any

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
    return str(uuid.uuid4())


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
            f"</head><body><h1>{message}</h1><p>Request id: {rid}</p></body></html>")
    return Response(page, status=error.status, mimetype="text/html",
                    headers={**_API_HEADERS, **error.headers})


def redirect(location: str, status: int = 302) -> Response:
    return Response("", status=status, headers={"Location": location, **_API_HEADERS})


def wants_html(accept: Any) -> bool:
    """A browser (``text/html`` preferred over JSON) gets an HTML page."""
    return accept.quality("text/html") > accept.quality(JSON)
