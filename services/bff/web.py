"""Nameko's ``@http`` made an API edge: request ids, JSON errors, body limits.

``ApiRoute`` is Nameko's ``HttpRequestHandler`` entrypoint bound to one declared
``Route``; ``mount`` adds one entrypoint method per route to the service class, so every
request runs in its own Nameko worker (dependencies injected, context data set).

``ApiServer`` is Nameko's shared ``WebServer`` on ``WEB_SERVER_ADDRESS`` with:

* the request id: ``X-Request-Id`` taken when well formed, else generated; returned on
  every response; handed to the worker as its correlation id (context data
  ``correlation_id``), so it follows every RPC, event and log line;
* unknown routes and wrong methods answered in the API's JSON error shape;
* lean routes (``Route.lean``: ``/r/<code>``) matched by their prefix, without
  werkzeug's map (the same match: one ASCII segment after the prefix, else the map);
* an access log line per request carrying the request id, and its duration in
  ``alpes_http_server_duration_seconds`` by route template and status class;
* W3C ``traceparent``: a well-formed one from the caller is handed to the worker (its
  span continues the caller's trace); the answer carries the worker span's (tracing on);
* the body size limit checked from ``Content-Length`` before a worker is spawned, and
  while reading a chunked body;
* Swagger UI's static files (``swagger``) and the web front end's page and files
  (``webapp``: ``/``, ``/app/...``, ``/assets/...``) answered before routing;
* the requests eventlet refuses while reading them (request line or headers too large,
  unparseable) answered in the same JSON shape too (``protocol.ApiProtocol``).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from functools import partial

from eventlet import wsgi
from eventlet.event import Event
from nameko.exceptions import ContainerBeingKilled
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request

from common.nameko import metrics, tracing
from common.nameko.context import CORRELATION_KEY
from services.bff import errors, responses, settings, swagger, webapp
from services.bff.protocol import ApiProtocol
from services.bff.routing import Route

log = logging.getLogger("services.bff.access")

REQUEST_ID_ENVIRON = "alpes.request_id"
ROUTE_ENVIRON = "alpes.route"  # the matched route's template: a bounded metrics label


class ApiWsgiApp(WsgiApp):
    def __init__(self, server):
        super().__init__(server)
        # lean routes (``Route.lean``: /r/<code>) by prefix: matched without the map
        self.lean = {provider.route.lean_prefix: provider for provider in server._providers
                     if getattr(provider, "route", None) is not None and provider.route.lean}

    def __call__(self, environ, start_response):
        started = time.monotonic()
        request_id = environ[REQUEST_ID_ENVIRON] = responses.request_id_from(
            environ.get("HTTP_X_REQUEST_ID"))
        if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
            # eventlet de-chunks and ends the stream itself: werkzeug may read it, bounded
            # by max_content_length (without this flag it reads a chunked body as empty).
            environ["wsgi.input_terminated"] = True
        request = Request(environ, shallow=True)
        response = self._respond(request, environ, request_id)
        response.headers[responses.REQUEST_ID_HEADER] = request_id
        elapsed = time.monotonic() - started
        status = response.status_code
        metrics.HTTP_SERVER.labels(
            self.server.container.service_name, metrics.http_method(request.method),
            environ.get(ROUTE_ENVIRON) or ("unmatched" if status in (404, 405) else "other"),
            metrics.status_class(status)).observe(elapsed)
        if log.isEnabledFor(logging.INFO):
            log.info("%s %s -> %s in %.1f ms", request.method, request.path, status,
                     elapsed * 1000, extra={"correlation_id": request_id,
                                            **_trace_ids(response)})
        return response(environ, start_response)

    def _respond(self, request, environ, request_id: str):
        if "//" in environ.get("PATH_INFO", ""):
            # No route has an empty segment (path variables are never empty). werkzeug
            # would answer an HTML 308 to the path with its slashes merged, which names
            # another resource: /partners//commissions -> /partners/commissions.
            return responses.error_response(errors.empty_path_segment(), request_id)
        if request.method in ("GET", "HEAD"):
            lean = self._lean_match(environ)
            if lean is not None:
                provider, values = lean
                environ[ROUTE_ENVIRON] = provider.url
                request.path_values = values
                return provider.handle_request(request)
            static = swagger.file_response(environ.get("PATH_INFO", ""))
            if static is not None:  # Swagger UI's files: not operations of the API
                return static
            page = webapp.file_response(environ.get("PATH_INFO", ""),
                                        environ.get("HTTP_IF_NONE_MATCH"))
            if page is not None:  # the web front end's page and files (webapp.py)
                return page
        try:
            provider, values = self.url_map.bind_to_environ(environ).match()
            environ[ROUTE_ENVIRON] = provider.url
            request.path_values = values
            return provider.handle_request(request)
        except HTTPException as routing_error:
            return _routing_response(routing_error, request_id)

    def _lean_match(self, environ) -> tuple[HttpRequestHandler, dict] | None:
        """A lean route's provider and path value, when the path is its prefix and one
        ASCII segment (what werkzeug's map would match the same); else None: the map."""
        path = environ.get("PATH_INFO", "")
        prefix, slash, value = path.rpartition("/")
        provider = self.lean.get(prefix + slash) if value else None
        if provider is None or not value.isascii():
            return None
        return provider, {provider.route.variables[0]: value}


def _trace_ids(response) -> dict:
    """The access line carries the request's trace (its worker span's, from the answer)."""
    parsed = tracing.parse(response.headers.get(tracing.TRACEPARENT))
    if parsed is None:
        return {}
    return {"trace_id": f"{parsed.trace_id:032x}", "span_id": f"{parsed.span_id:016x}"}


def _routing_response(routing_error: HTTPException, request_id: str):
    if routing_error.code and routing_error.code < 400:  # e.g. a trailing-slash redirect
        return routing_error.get_response()
    return responses.error_response(errors.from_http_exception(routing_error), request_id)


class ApiServer(WebServer):
    def get_wsgi_app(self):
        return ApiWsgiApp(self)

    def get_wsgi_server(self, sock, wsgi_app, protocol=ApiProtocol, debug=False):
        # debug=False: eventlet never writes a traceback into a response; our access log
        # replaces eventlet's (which has no request id). ApiProtocol answers what eventlet
        # refuses before the application runs (oversized request line or headers) in JSON.
        return wsgi.Server(sock, sock.getsockname(), wsgi_app, protocol=protocol, debug=False,
                           log=logging.getLogger("services.bff.wsgi"), log_output=False)

    def context_data_from_headers(self, request):
        data = {CORRELATION_KEY: request.environ[REQUEST_ID_ENVIRON]}
        traceparent = tracing.well_formed(request.headers.get(tracing.TRACEPARENT))
        if traceparent:
            data[tracing.TRACEPARENT] = traceparent
        return data


class ApiRoute(HttpRequestHandler):
    server = ApiServer()

    def __init__(self, method, url, route: Route | None = None, **kwargs):
        self.route = route
        super().__init__(method, url, **kwargs)

    def setup(self):
        self.max_body_bytes = settings.from_config(self.container.config).max_body_bytes
        super().setup()

    def handle_request(self, request):
        """Nameko's, plus the size limit and failures answered in the API's shape."""
        request_id = request.environ[REQUEST_ID_ENVIRON]
        # One byte over: werkzeug stops a chunked body at the limit without complaint,
        # so reading limit + 1 bytes is how the pipeline tells "too large" (413).
        request.max_content_length = self.max_body_bytes + 1
        if (request.content_length or 0) > self.max_body_bytes:
            return responses.error_response(errors.too_large(self.max_body_bytes), request_id)
        request.shallow = False
        try:
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            finished = Event()
            self.container.spawn_worker(
                self, args, kwargs, context_data=self.server.context_data_from_headers(request),
                handle_result=partial(self.handle_result, finished))
            return self.response_from_result(finished.wait())
        except ContainerBeingKilled:
            return responses.error_response(errors.unavailable(), request_id)
        except Exception as failure:  # noqa: BLE001 -- outside the handler: set-up, a bug
            return responses.error_response(errors.from_exception(failure), request_id)

    def check_signature(self, args, kwargs):
        """Nothing to check: ``mount``'s endpoints take the request and any path values."""

    def response_from_result(self, result):
        if isinstance(result, responses.Redirect):  # already an answer, lighter than werkzeug's
            return result
        return super().response_from_result(result)

    def handle_result(self, event, worker_ctx, result, exc_info):
        """Nameko's, plus the worker span's ``traceparent`` on the answer (tracing on)."""
        traceparent = tracing.current_traceparent()
        if traceparent and exc_info is None and hasattr(result, "headers"):
            result.headers[tracing.TRACEPARENT] = traceparent
        return super().handle_result(event, worker_ctx, result, exc_info)


def mount(service_cls: type, routes: Iterable[Route], dispatch_name: str = "dispatch") -> None:
    """Give ``service_cls`` one ``@ApiRoute`` method per route, each calling
    ``service.<dispatch_name>(route, request, path_values)``."""
    for declared in routes:
        if hasattr(service_cls, declared.name):
            raise ValueError(f"{service_cls.__name__}.{declared.name} already exists")
        setattr(service_cls, declared.name, _entrypoint(declared, dispatch_name))


def _entrypoint(declared: Route, dispatch_name: str):
    def endpoint(self, request, **path_values):
        return getattr(self, dispatch_name)(declared, request, path_values)

    endpoint.__name__ = endpoint.__qualname__ = declared.name
    endpoint.__doc__ = declared.summary
    return ApiRoute.decorator(declared.method, declared.path, route=declared)(endpoint)
