"""The HTTP server's own limits (request line, header lines, header block) answer in the
API's JSON error shape with a request id, like every other error.

These requests never reach a route: the server refuses them while reading the request.
"""
from __future__ import annotations

import logging
import socket

import pytest
import requests

from tests.integration.bff.client import new_id


@pytest.fixture
def api(start_bff):
    return start_bff()


def assert_error_shape(answer: requests.Response, status: int, code: str) -> None:
    assert answer.status_code == status, (answer.status_code, answer.text)
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.headers["Connection"].lower() == "close"
    error = answer.json()["error"]
    assert error["code"] == code and error["message"]
    assert error["request_id"] == answer.headers["X-Request-Id"]


def test_a_huge_authorization_header_is_a_json_431(api):
    answer = api.get(f"/api/v1/partners/{new_id()}",
                     headers={"Authorization": "Bearer " + "a" * 100_000})
    assert_error_shape(answer, 431, "headers_too_large")


def test_a_refusal_is_logged_with_its_request_id_and_without_the_headers(api, caplog):
    caplog.set_level(logging.INFO, logger="services.bff.access")
    answer = api.get("/health", headers={"Authorization": "Bearer " + "secret" * 2000})
    [line] = [r for r in caplog.records if r.name == "services.bff.access"]
    assert line.correlation_id == answer.headers["X-Request-Id"]
    assert line.getMessage().startswith("GET /health HTTP/1.1 -> 431")
    assert "secret" not in line.getMessage()


def test_too_many_header_bytes_in_all_is_a_json_431(api):
    headers = {f"X-Filler-{n}": "b" * 4000 for n in range(20)}  # each line under the limit
    answer = api.get("/health", headers=headers)
    assert_error_shape(answer, 431, "headers_too_large")


def test_too_many_headers_is_a_json_431(api):
    answer = api.get("/health", headers={f"X-Many-{n}": "1" for n in range(150)})
    assert_error_shape(answer, 431, "headers_too_large")


def test_a_5000_parameter_query_string_is_a_json_414(api):
    query = "&".join(f"p{n}=v" for n in range(5000))
    answer = api.get(f"/api/v1/partners?{query}", api.admin())
    assert_error_shape(answer, 414, "uri_too_long")


def test_a_url_just_under_the_limit_reaches_the_application(api):
    answer = api.get("/api/v1/partners?page=1&" + "x" * 8000, api.admin())
    assert answer.status_code == 422  # the query string's schema refuses it, in JSON


def raw_exchange(api, request: bytes) -> tuple[str, dict[str, str], bytes]:
    """Send bytes no HTTP library would, read the answer until the server closes."""
    host, port = api.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(request)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip()
               for name, _, value in (line.partition(":") for line in lines)}
    return status_line, headers, body


@pytest.mark.parametrize("request_bytes, status", [
    (b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
    (b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    (b"GET /health HTTP/9.9\r\n\r\n", 505),
    (b"NONSENSE\r\n\r\n", 400),
])
def test_requests_the_server_cannot_parse_are_json_errors(api, request_bytes, status):
    status_line, headers, body = raw_exchange(api, request_bytes)
    assert status_line.split(" ")[1] == str(status), status_line
    assert headers["content-type"].startswith("application/json")
    assert int(headers["content-length"]) == len(body)
    assert b'"request_id"' in body and headers["x-request-id"]
