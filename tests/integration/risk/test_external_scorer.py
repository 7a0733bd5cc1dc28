"""The external scorer over real HTTP against a fake scorer: each answer, a slow one, a down one, garbage; the
fail-open/closed policy, the circuit breaker and the provider-call histogram."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from application.ports.risk import CheckoutFacts
from domain.payments.risk import RiskAssessment, RiskDecision
from domain.shared.money import Money
from infrastructure.metrics.prometheus_metrics import PrometheusMetrics
from infrastructure.providers.circuit_breaker import CircuitBreaker
from infrastructure.risk.external_scorer import UNAVAILABLE, ExternalScorer
from tests.provider_fakes.risk_scorer import FakeRiskScorer
from tests.provider_fakes.server import running

FACTS = CheckoutFacts(
    order_id="order-7",
    amount=Money.of(12_500, "USD"),
    at=datetime(2026, 12, 7, 6, 0, tzinfo=UTC),
    customer_email="ada@example.com",
    customer_ip="198.51.100.20",
    customer_country="GB",
    provider="simulator",
)


@pytest.fixture
def fake() -> Iterator[tuple[FakeRiskScorer, str]]:
    scorer = FakeRiskScorer()
    with running(scorer) as url:
        yield scorer, url + "/score"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def scorer(url: str, http: httpx.AsyncClient, **kwargs: object) -> ExternalScorer:
    options: dict[str, object] = {"timeout_seconds": 0.3, "fail_open": True, "breaker": CircuitBreaker(3, 30.0)}
    options.update(kwargs)
    return ExternalScorer(url, http, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("allow", RiskAssessment(RiskDecision.ALLOW, 5)),
        ("review", RiskAssessment(RiskDecision.REVIEW, 55, ("scorer-new-device",))),
        ("block", RiskAssessment(RiskDecision.BLOCK, 97, ("scorer-stolen-card",))),
    ],
)
async def test_the_scorers_answer_is_the_assessment(
    fake: tuple[FakeRiskScorer, str], http: httpx.AsyncClient, mode: str, expected: RiskAssessment
) -> None:
    server, url = fake
    server.mode = mode

    assert await scorer(url, http).assess(FACTS) == expected


async def test_the_scorer_is_told_the_checkout_facts_and_nothing_else(
    fake: tuple[FakeRiskScorer, str], http: httpx.AsyncClient
) -> None:
    server, url = fake

    await scorer(url, http).assess(FACTS)

    assert server.calls == [
        {
            "order_id": "order-7",
            "amount": 12_500,
            "currency": "USD",
            "customer": {"email": "ada@example.com", "ip": "198.51.100.20", "country": "GB"},
            "provider": "simulator",
            "at": "2026-12-07T06:00:00Z",
        }
    ]


@pytest.mark.parametrize("mode", ["slow", "down", "garbage", "not_json"])
@pytest.mark.parametrize("fail_open", [True, False])
async def test_a_scorer_that_cannot_answer_is_decided_by_the_policy(
    fake: tuple[FakeRiskScorer, str], http: httpx.AsyncClient, mode: str, fail_open: bool
) -> None:
    server, url = fake
    server.mode = mode
    started = time.monotonic()

    found = await scorer(url, http, fail_open=fail_open).assess(FACTS)

    assert found.decision is (RiskDecision.ALLOW if fail_open else RiskDecision.BLOCK)
    assert found.reasons == (UNAVAILABLE,)
    assert time.monotonic() - started < 1.5  # the slow one is cut at the timeout (0.3 s), not waited for (2 s)


async def test_an_unreachable_scorer_is_unavailable(http: httpx.AsyncClient) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/score"  # bound, never listening: refused

    found = await scorer(url, http, fail_open=False).assess(FACTS)

    assert found == RiskAssessment(RiskDecision.BLOCK, 100, (UNAVAILABLE,))


async def test_repeated_failures_open_the_circuit_and_stop_the_calls(
    fake: tuple[FakeRiskScorer, str], http: httpx.AsyncClient
) -> None:
    server, url = fake
    server.mode = "down"
    breaker = CircuitBreaker(3, 30.0)
    adapter = scorer(url, http, breaker=breaker)

    for _ in range(5):
        assert (await adapter.assess(FACTS)).reasons == (UNAVAILABLE,)

    assert len(server.calls) == 3  # the breaker opened after the third failure: the last two never left
    assert breaker.is_open
    server.mode = "allow"
    assert (await adapter.assess(FACTS)).reasons == (UNAVAILABLE,)  # still open: not asked
    assert len(server.calls) == 3


async def test_each_call_is_timed_in_the_provider_call_histogram(
    fake: tuple[FakeRiskScorer, str], http: httpx.AsyncClient
) -> None:
    server, url = fake
    metrics = PrometheusMetrics()
    adapter = scorer(url, http, observer=metrics)

    await adapter.assess(FACTS)
    server.mode = "slow"
    await adapter.assess(FACTS)

    scrape = metrics.exposition(None).decode()
    for outcome in ("ok", "timeout"):
        series = f'payments_provider_request_duration_seconds_count{{operation="assess",outcome="{outcome}",provider="risk_scorer"}} 1.0'
        assert series in scrape
