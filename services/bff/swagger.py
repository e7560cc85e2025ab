"""Interactive docs of the API: Swagger UI reading the served OpenAPI document.

The page, ``GET /api/v1/docs``, is a public route like the document itself. The files it
loads are Swagger UI's own, read from the installed ``swagger-ui-bundle`` package (pinned
in pyproject.toml, never copied into the repository) and answered by the web layer at
``/api/v1/docs/<file>`` before routing: they are static files of a third party, not
operations of the API, so they are not in the OpenAPI document.

The page names the document and the files relatively (``openapi.json``,
``docs/swagger-ui.css``), so it works behind a proxy that mounts the API under a prefix.
"""
from __future__ import annotations

from functools import cache

from swagger_ui_bundle import swagger_ui_path
from werkzeug.wrappers import Response

PAGE_PATH = "/api/v1/docs"
FILES_PATH = PAGE_PATH + "/"
# The files the page loads, with their media types. Anything else is no route.
FILES = {"swagger-ui.css": "text/css", "swagger-ui-bundle.js": "text/javascript"}
FILES_CACHE = "public, max-age=3600"  # they change only with the package's version

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>AlpesPartners API</title>
  <link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({url: "openapi.json", dom_id: "#swagger-ui",
                                 deepLinking: true, layout: "BaseLayout"});
  </script>
</body>
</html>
"""


def page() -> Response:
    return Response(PAGE, mimetype="text/html",
                    headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def file_response(path: str) -> Response | None:
    """The Swagger UI file ``path`` names, or None when it names none of them."""
    name = path[len(FILES_PATH):] if path.startswith(FILES_PATH) else None
    if name not in FILES:
        return None
    return Response(_read(name), mimetype=FILES[name],
                    headers={"Cache-Control": FILES_CACHE, "X-Content-Type-Options": "nosniff"})


@cache
def _read(name: str) -> bytes:
    return (swagger_ui_path / name).read_bytes()
