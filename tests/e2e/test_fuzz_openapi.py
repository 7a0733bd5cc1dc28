"""Schemathesis fuzzes every operation of the app's own OpenAPI document against the real app over HTTP.

Each operation gets schemathesis' examples phase, its coverage phase (boundary values, wrong types, missing
and unknown parameters, other methods: the deterministic "odd input") and a bounded number of random positive
and negative cases. A case fails on any 5xx, on a status code, content type or body its operation does not
document, on invalid input accepted, and on any error that is not RFC 9457 problem JSON. A second run sends
no credentials: every protected operation must answer a 401 problem.

Schemathesis cannot know which values exist: a few payments, a refund and their webhook events are seeded
first, and about a third of the generated path ids are swapped for seeded ones (see `_realistic`).
Generation is derandomized, so CI sees the same cases on every run.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import settings
from litestar.serialization import encode_json
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from infrastructure.db import migrate
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from tests.e2e.conftest import LiveServer, serve

PROBLEM_JSON = "application/problem+json"
SCHEMA_PATH = "/schema/openapi.json"
EXAMPLES_PER_OPERATION = 20  # random cases; the examples and coverage phases add their own fixed ones
CURRENCIES = ["USD", "EUR", "JPY", "NGN", "KWD"]


def _openapi_document() -> dict[str, Any]:
    """The app's document, built at collection time so that each operation is a test of its own; the `known`
    fixture checks that the running server serves exactly this document at /schema/openapi.json."""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:", providers=("simulator",)))
    document: dict[str, Any] = json.loads(encode_json(app.openapi_schema.to_schema()))
    return document


DOCUMENT = _openapi_document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


def problem_json_errors(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> bool | None:
    """Every 4xx and 5xx is `application/problem+json` with at least `type`, `title` and a matching `status`."""
    if response.status_code < 400:
        return None
    content_types = [v for name, values in response.headers.items() if name.lower() == "content-type" for v in values]
    content_type = (content_types or [""])[0].split(";", 1)[0].strip()
    assert content_type == PROBLEM_JSON, f"{response.status_code} answered as {content_type!r}, not {PROBLEM_JSON}"
    body = response.json()
    assert isinstance(body, dict), f"a problem is a JSON object, got {body!r}"
    missing = {"type", "title", "status"} - body.keys()
    assert not missing, f"the problem lacks {sorted(missing)}: {body!r}"
    assert body["status"] == response.status_code, f"problem status {body['status']} != HTTP {response.status_code}"
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    problem_json_errors,
]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, api_keys: dict[str, str]) -> Iterator[LiveServer]:
    """One server for the module, on SQLite. The rate limits are raised: the fuzzer sends hundreds of requests
    a second with one key (and, without credentials, from one address), and cases answered 429 would test the
    limiter instead of the operation."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fuzz') / 'payments.db'}"
    migrate.upgrade(url)
    limits = {"rate_limit_per_second": 1_000_000, "rate_limit_per_minute": 60_000_000}
    yield from serve(url, api_keys, **limits, ip_rate_limit_per_minute=60_000_000)


@pytest.fixture(scope="module")
def known(fuzzed: LiveServer) -> dict[str, list[str]]:
    """Seeded rows by path parameter name: a paid payment with a settled partial refund, a processing one, and
    the webhook events that paid and refunded the first."""
    assert fuzzed.get(SCHEMA_PATH).json() == DOCUMENT, "the fuzzed document is not the one the app serves"
    paid = fuzzed.paid_payment("fuzz-order-paid", amount=5000)
    processing = fuzzed.checkout("fuzz-order-open", 700, "EUR")
    assert processing.status_code == 201, processing.text
    refund = fuzzed.refund(paid["id"], amount=1000)
    assert refund.status_code == 202, refund.text
    _wait_for(lambda: fuzzed.payment(paid["id"])["status"] == "partially_refunded")
    events = fuzzed.get("/api/v1/webhook-events", key="admin").json()["data"]
    payment_ids = [paid["id"], processing.json()["id"]]
    return {
        "payment_id": payment_ids,
        "order_id": ["fuzz-order-paid", "fuzz-order-open"],
        "id_or_reference": [*payment_ids, refund.json()["id"]],
        "event_id": [event["id"] for event in events],
        "provider": ["simulator"],
    }


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True)
def test_every_operation_keeps_its_documented_contract(
    case: schemathesis.Case, fuzzed: LiveServer, known: dict[str, list[str]]
) -> None:
    _realistic(case, known)
    case.call_and_validate(base_url=fuzzed.base_url, headers=fuzzed.auth("admin"), checks=CHECKS)


@schema.parametrize()
@settings(max_examples=5, deadline=None, derandomize=True)
def test_without_credentials_every_protected_operation_answers_401_problem(
    case: schemathesis.Case, fuzzed: LiveServer
) -> None:
    response = case.call_and_validate(base_url=fuzzed.base_url, checks=CHECKS)
    # the coverage phase also tries other methods on the path: those are 405 whoever asks
    if case.operation.definition.raw.get("security") and case.method.upper() == case.operation.method.upper():
        assert response.status_code == 401, f"{case.operation.label} answered {response.status_code} without a key"


def _realistic(case: schemathesis.Case, known: dict[str, list[str]]) -> None:
    """Swaps some generated values for values the schema cannot describe: ids of seeded rows (for about a third
    of the path ids) and ISO 4217 codes (for half of the bodies with a currency; the schema says three letters,
    and three random letters are almost never a currency, so no generated checkout would get past validation).
    The choice is a hash of the generated value, not a random draw, so a case replays identically while
    Hypothesis shrinks it. Schemathesis re-labels a case it sees changed (negative → positive) before checking."""
    for name, value in list((case.path_parameters or {}).items()):
        if (digest := _digest(value)) % 3 == 0 and (candidates := known.get(name)):
            case.path_parameters[name] = candidates[digest // 3 % len(candidates)]
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("currency"), str) and (digest := _digest(body)) % 2 == 0:
        body["currency"] = CURRENCIES[digest // 2 % len(CURRENCIES)]


def _digest(value: object) -> int:
    return zlib.crc32(repr(value).encode())


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the seeded refund never settled"
        time.sleep(0.05)
