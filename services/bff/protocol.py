"""eventlet's HTTP protocol, answering the requests it refuses itself in the API's shape.

eventlet's WSGI server refuses some requests while reading them, before any application
code runs: a request line over its limit (a bare 414), a header line or a header block
over its limits, a ``Content-Length`` that is not a count or comes with
``Transfer-Encoding`` (bare 400s). The standard library parser it builds on answers a
garbled request line, an unknown HTTP version or too many headers with an HTML page.
``ApiProtocol`` answers every one of them like any other error of the API: the JSON error
shape, ``X-Request-Id``, ``Connection: close`` (the rest of the request is not read), and
an access-log line. Oversized headers are a 431, the status made for them.

The limits stay eventlet's: they bound what one connection makes the server buffer
before anything else can look at it (see docs/services/bff.md).
"""
from __future__ import annotations

import http
import logging
import socket
import time

from eventlet import wsgi
from nameko.web.server import HttpOnlyProtocol

from services.bff import errors, responses
from services.bff.errors import ApiError

log = logging.getLogger("services.bff.access")

MAX_REQUEST_LINE = wsgi.MAX_REQUEST_LINE  # method, path, query string and version
MAX_HEADER_LINE = wsgi.MAX_HEADER_LINE
MAX_HEADER_BYTES = wsgi.MAX_TOTAL_HEADER_SIZE
MAX_HEADERS = 100  # the standard library parser refuses more (http.client._MAXHEADERS)
LINGER_SECONDS = 1.0  # after a refusal, how long (and how much) unread input is dropped
LINGER_BYTES = 1 << 20


def _headers_too_large() -> ApiError:
    return errors.headers_too_large(MAX_HEADER_LINE, MAX_HEADER_BYTES, MAX_HEADERS)


# What the standard library parser refuses (``send_error``), by status. The answer is
# fixed per status: its own messages quote the raw request line back.
_PARSER_REFUSALS = {
    400: lambda: errors.malformed("The request is not valid HTTP/1.1."),
    431: _headers_too_large,
    505: errors.http_version_not_supported,
}


class ApiProtocol(HttpOnlyProtocol):
    def _read_request_line(self):
        """eventlet's read of the request line (limited to ``url_length_limit``), with its
        bare 414 for a line that reaches the limit answered here instead."""
        line = super()._read_request_line()
        if len(line) >= self.server.url_length_limit:
            self.refuse(errors.uri_too_long(self.server.url_length_limit), line)
            return b""  # eventlet ends the connection without writing anything more
        return line

    def parse_request(self):
        try:
            parsed = super().parse_request()
        except (wsgi.HeaderLineTooLong, wsgi.HeadersTooLarge):  # eventlet's header limits
            self.refuse(_headers_too_large(), self.requestline)
            return False
        return parsed and self._framing_is_sound()

    def _framing_is_sound(self) -> bool:
        """eventlet's body-framing checks, made first so that they answer in JSON."""
        length = self.headers.get("Content-Length")
        if length is None:
            return True
        try:
            valid = int(length) >= 0
        except ValueError:
            valid = False
        if not valid:
            problem = "Content-Length must be a number of bytes."
        elif self.headers.get("Transfer-Encoding") is not None:
            problem = "Send Content-Length or Transfer-Encoding, not both."
        else:
            return True
        self.refuse(errors.malformed(problem), self.requestline, self.headers)
        return False

    def send_error(self, code, message=None, explain=None):
        """The standard library parser's refusals (it would write an HTML page)."""
        refusal = _PARSER_REFUSALS.get(code, _PARSER_REFUSALS[400])
        self.refuse(refusal(), self.requestline)

    def refuse(self, error: ApiError, request_line, headers=None) -> None:
        """Answer ``error`` and close. The request id is the client's only when its
        headers were read and are sound; otherwise a new one."""
        request_id = responses.request_id_from(
            headers.get(responses.REQUEST_ID_HEADER) if headers else None)
        response = responses.error_response(error, request_id)
        response.headers[responses.REQUEST_ID_HEADER] = request_id
        response.headers["Connection"] = "close"
        response.headers["Date"] = wsgi.format_date_time(time.time())
        status = f"HTTP/1.1 {error.status} {http.HTTPStatus(error.status).phrase}\r\n"
        head = status + "".join(f"{name}: {value}\r\n" for name, value in response.headers)
        self.wfile.write(head.encode("latin-1") + b"\r\n" + response.get_data())
        self.close_connection = True
        if isinstance(request_line, bytes):
            request_line = request_line.decode("latin-1")
        log.info("%s -> %s (refused while reading the request)", request_line[:100].strip(),
                 error.status, extra={"correlation_id": request_id})
        self._linger()

    def _linger(self) -> None:
        """Send the answer, then read and drop what the client is still sending, briefly.

        Closing a socket with unread input resets the connection, and a client that has
        not read the answer yet loses it: it would see "connection reset", not the 414.
        """
        self.wfile.flush()
        deadline = time.monotonic() + LINGER_SECONDS
        try:
            self.connection.shutdown(socket.SHUT_WR)
            drained = 0
            while drained < LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
                self.connection.settimeout(left)
                chunk = self.connection.recv(65536)
                if not chunk:
                    break
                drained += len(chunk)
        except OSError:  # timed out, or the client is gone: close anyway
            pass
