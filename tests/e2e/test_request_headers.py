"""Request headers over 16 KiB in all are refused at the edge over real HTTP: `431 headers-too-large`, with the
request id, the security headers and a count in the metrics, like every other answer."""

from __future__ import annotations

import time

from interfaces.http.security_headers import API_CSP
from tests.e2e.conftest import LiveServer


def requests_counted(server: LiveServer, route: str, status: int) -> float:
    line = f'payments_http_requests_total{{method="GET",route="{route}",status="{status}"}} '
    for row in server.get("/metrics").text.splitlines():
        if row.startswith(line):
            return float(row[len(line) :])
    return 0.0


def test_a_20_mb_header_is_refused_with_431_problem_json(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    answer = server.get(
        "/api/v1/transactions", key="reader", headers={"X-Filler": "a" * 20_000_000, "X-Request-ID": "big-headers-1"}
    )

    assert answer.status_code == 431, answer.text[:300]
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == f"{server.base_url}/problems/headers-too-large"
    assert (problem["status"], problem["title"]) == (431, "Request headers too large")
    assert problem["instance"] == "/api/v1/transactions"
    assert problem["request_id"] == answer.headers["x-request-id"] == "big-headers-1"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-security-policy"] == API_CSP
    deadline = time.monotonic() + 5  # a request is counted as its response ends, a moment after the client has it
    while requests_counted(server, "unmatched", 431) != 1:
        assert time.monotonic() < deadline, "the 431 was never counted"
        time.sleep(0.01)

    described = server.get("/problems/headers-too-large")
    assert described.status_code == 200
    assert "Request headers too large" in described.text
    assert "HTTP 431" in described.text


def test_ordinary_headers_still_pass(sqlite_server: LiveServer) -> None:
    answer = sqlite_server.get("/api/v1/transactions", key="reader", headers={"X-Filler": "a" * 8_000})
    assert answer.status_code == 200, answer.text
