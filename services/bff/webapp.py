"""The web front end: partner portal, brand console and operator pages in one page.

A single-page application of our own (plain ES modules and one CSS file, no build step),
kept in ``services/bff/web_ui/`` and served by the web layer before routing, like Swagger
UI's files: static files, not operations of the API, so not in the OpenAPI document.

* ``/`` and every client route under ``/app/...`` answer ``index.html``: the page's own
  router (``assets/js/app.js``) draws the right screen;
* ``/assets/<path>`` answers one of the files under ``web_ui/assets`` (``.js``, ``.css``,
  ``.svg``); anything else there is no route.

The page reads and changes everything through the JSON API (``/api/v1/...``) with the
session cookie and the ``X-CSRF-Token`` header, so the BFF's route table and ownership
checks stay the one authorization point: this module hands out files, never data.

Every answer carries a strict Content-Security-Policy (scripts, styles, images and
requests from this origin only; no inline script; no framing), ``nosniff`` and no
referrer. Files are read once per modification time and revalidated by ETag (a 304 costs
no body), so a page loads in a handful of small local requests.
"""
from __future__ import annotations

import hashlib
import mimetypes
import re
from functools import cache
from pathlib import Path

from werkzeug.wrappers import Response

ROOT = Path(__file__).resolve().parent / "web_ui"
INDEX = "index.html"
APP_PREFIX = "/app"
ASSETS_PREFIX = "/assets/"
# Lower-case names, one or more segments, one of the kinds the page loads: no "..", no
# hidden files, no other extension (a .map or a stray file is not served).
ASSET_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*\.(js|css|svg)$")
MEDIA_TYPES = {"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml",
               "html": "text/html"}

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",  # always revalidated: an upgrade shows at once
}


def is_page(path: str) -> bool:
    """``/``, ``/app`` and every client route under ``/app/``."""
    return path == "/" or path == APP_PREFIX or path.startswith(APP_PREFIX + "/")


def file_response(path: str, if_none_match: str | None = None) -> Response | None:
    """The page or asset ``path`` names (None when it names neither)."""
    if is_page(path):
        name = INDEX
    elif path.startswith(ASSETS_PREFIX) and ASSET_NAME.match(path[len(ASSETS_PREFIX):]):
        name = "assets/" + path[len(ASSETS_PREFIX):]
    else:
        return None
    found = _file(name)
    if found is None:
        return None
    body, etag = found
    headers = {**SECURITY_HEADERS, "ETag": etag}
    if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response(status=304, headers=headers)
    media_type = MEDIA_TYPES.get(name.rsplit(".", 1)[-1]) or mimetypes.guess_type(name)[0]
    return Response(body, mimetype=media_type, headers=headers)


def _file(name: str) -> tuple[bytes, str] | None:
    path = ROOT / name
    try:
        modified = path.stat().st_mtime_ns
    except OSError:
        return None
    return _read(path, modified)


@cache
def _read(path: Path, modified: int) -> tuple[bytes, str]:
    body = path.read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
