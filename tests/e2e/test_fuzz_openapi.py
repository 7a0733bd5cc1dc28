"""Schemathesis fuzzes every operation of the app's own OpenAPI document against the real app over HTTP, on
SQLite and on Postgres.

Each operation gets schemathesis' examples phase, its coverage phase (boundary values, wrong types, missing
and unknown parameters, other methods: the deterministic "odd input") and a bounded number of random positive
and negative cases (stateless: no links are followed). Every check schemathesis has runs, plus two of ours: a
case fails on any 5xx, on a status code, content type, header or body its operation does not document, on
invalid input accepted, on valid input refused, and on any error that is not RFC 9457 problem JSON. A valid
request may be refused only for a reason no schema can state (`BEYOND_THE_SCHEMA`: a cursor this API did not
issue, an Idempotency-Key used before, a signature), with a problem type the operation documents for that
status; schemathesis.toml, which an operator's `st run` from the repository reads too, lets those statuses through
for those operations. A second run sends no credentials: every protected operation must answer a 401 problem.

Schemathesis cannot know which values exist: a few payments, a refund and their webhook events are seeded
first, and about a third of the generated path ids are swapped for seeded ones (see `_realistic`).
Generation is derandomized, so CI sees the same cases on every run.
"""

from __future__ import annotations

import asyncio
import json
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import settings
from litestar.serialization import encode_json
from schemathesis.config import PositiveDataAcceptanceConfig, SchemathesisConfig
from schemathesis.core.transport import expand_status_codes

from infrastructure.db import migrate
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from tests import databases
from tests.api_processes import ROOT
from tests.e2e.conftest import LiveServer, serve

PROBLEM_JSON = "application/problem+json"
SCHEMA_PATH = "/schema/openapi.json"
EXAMPLES_PER_OPERATION = 12  # random cases; the examples and coverage phases add their own fixed ones
CURRENCIES = ["USD", "EUR", "JPY", "NGN", "KWD"]

# Valid requests (by the schema) the app refuses for a reason no JSON Schema can state, by operation and status:
# the problem types allowed (`validation-error` only for the parameters or pointers named, each for the reason in
# ONLY_BECAUSE). Each is named where the operation documents that status, and schemathesis.toml lets exactly these
# statuses through (`test_every_refusal_beyond_the_schema_is_documented_and_configured`).
CURSOR = {"validation-error": {"cursor"}}  # a cursor this API did not issue: an opaque string to the schema
KEY_REUSED = {"idempotency-key-reuse": set()}  # the key came before with another body: the schema has no memory
ONLY_BECAUSE = {
    "cursor": "invalid cursor",
    # JSON Schema calls 9999.0 an integer; the API takes amounts as JSON integers (the field's description says so)
    "/amount": "got `float`",
    # which three letters are a currency is ISO 4217's list, which changes; the schema says three letters
    "/currency": "ISO 4217",
}
AMOUNT = {"validation-error": {"/amount"}}
SCHEMATHESIS_EXPECTS = expand_status_codes(PositiveDataAcceptanceConfig().expected_statuses)  # of a valid request
BEYOND_THE_SCHEMA: dict[str, dict[int, dict[str, set[str]]]] = {
    "GET /api/v1/transactions": {422: CURSOR},
    "GET /api/v1/notifications": {422: CURSOR},
    "GET /api/v1/webhook-events": {422: CURSOR},
    # which providers are enabled (the enum lists every one this version has), which currencies they take and
    # whether they hold funds is the deployment's configuration
    "POST /api/v1/orders/{order_id}/checkout": {
        422: {
            **KEY_REUSED,
            "validation-error": {"/currency", "/amount"},
            "provider-not-enabled": set(),
            "unsupported-currency": set(),
            "capture-not-supported": set(),
        }
    },
    "POST /api/v1/payments/{payment_id}/refund": {422: {**KEY_REUSED, **AMOUNT}},
    "POST /api/v1/payments/{payment_id}/capture": {422: {**KEY_REUSED, **AMOUNT}},
    "POST /api/v1/payments/{payment_id}/cancel": {422: KEY_REUSED},
    # no signature in the document: each provider signs in its own header and way, and sends its own media type
    "POST /api/v1/webhooks/{provider}": {400: {"invalid-signature": set()}, 415: {"unsupported-media-type": set()}},
}


def _openapi_document() -> dict[str, Any]:
    """The app's document, built at collection time so that each operation is a test of its own; the `known`
    fixture checks that the running server serves exactly this document at /schema/openapi.json."""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:", providers=("simulator",)))
    document: dict[str, Any] = json.loads(encode_json(app.openapi_schema.to_schema()))
    return document


DOCUMENT = _openapi_document()
# the operator's configuration too (`st run` from the repository): where a valid request may be refused
schema = schemathesis.openapi.from_dict(DOCUMENT, config=SchemathesisConfig.from_path(ROOT / "schemathesis.toml"))


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


def refusals_beyond_the_schema(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> bool | None:
    """Schemathesis' positive_data_acceptance lets the statuses schemathesis.toml adds for an operation through;
    this holds each such refusal of a valid request to the problem types BEYOND_THE_SCHEMA lists."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code in SCHEMATHESIS_EXPECTS:
        return None
    allowed = BEYOND_THE_SCHEMA.get(case.operation.label, {}).get(response.status_code, {})
    problem = response.json()
    slug, errors = str(problem["type"]).rsplit("/", 1)[-1], problem.get("errors") or ()
    named = {str(error.get("parameter") or error.get("pointer")): str(error.get("detail")) for error in errors}
    assert slug in allowed, f"a valid request refused with {response.status_code} {slug}: {problem}"
    assert named.keys() <= allowed[slug], f"a valid request refused for {sorted(named)}: {problem}"
    unexplained = {name: detail for name, detail in named.items() if ONLY_BECAUSE[name] not in detail}
    assert not unexplained, f"a valid request refused: {problem}"
    return None


CHECKS = {"additional_checks": [refusals_beyond_the_schema, problem_json_errors]}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fuzzed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, api_keys: dict[str, str]
) -> Iterator[LiveServer]:
    """One server for the module on each database. The rate limits are raised: the fuzzer sends hundreds of
    requests a second with one key (and, without credentials, from one address), and cases answered 429 would
    test the limiter instead of the operation."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_session_url")
        asyncio.run(databases.truncate_all(url))
    else:
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
    # credentials schemathesis made up (to test the security schemes, valid by the schema or not) go as they are
    generated = {name.lower() for name in case.headers or {}} & {"authorization", "x-api-key"}
    case.call_and_validate(base_url=fuzzed.base_url, headers={} if generated else fuzzed.auth("admin"), **CHECKS)


@schema.parametrize()
@settings(max_examples=5, deadline=None, derandomize=True)
def test_without_credentials_every_protected_operation_answers_401_problem(
    case: schemathesis.Case, fuzzed: LiveServer
) -> None:
    response = case.call_and_validate(base_url=fuzzed.base_url, **CHECKS)
    # the coverage phase also tries other methods on the path: those are 405 whoever asks
    if case.operation.definition.raw.get("security") and case.method.upper() == case.operation.method.upper():
        assert response.status_code == 401, f"{case.operation.label} answered {response.status_code} without a key"


def test_every_refusal_beyond_the_schema_is_documented_and_configured() -> None:
    """Each is named where its operation documents the status, and schemathesis.toml lets exactly these through."""
    for operation in schema.get_all_operations():
        label = operation.ok().label
        refusals = BEYOND_THE_SCHEMA.get(label, {})
        config = schema.config.checks_config_for(operation=operation.ok(), phase=None)
        configured = expand_status_codes(config.positive_data_acceptance.expected_statuses)
        assert configured == SCHEMATHESIS_EXPECTS | refusals.keys(), label
        method, path = label.split(" ", 1)
        responses = DOCUMENT["paths"][path][method.lower()]["responses"]
        for status, slugs in refusals.items():
            for slug in slugs:
                assert f"`{slug}`" in responses[str(status)]["description"], f"{label} does not document {slug}"


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
