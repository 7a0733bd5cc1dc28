"""The external scorer (`PAYMENTS_RISK_URL`): the `RiskAssessor` port over a fraud service the shop already pays for.

It gets a JSON POST of the checkout's facts (never secrets: no API keys, URLs, metadata or card data) and answers
`{"decision": "allow"|"review"|"block", "score": 0-100, "reasons": [...]}` within `PAYMENTS_RISK_TIMEOUT_MS`.
A timeout, a refused connection, a 5xx, any other status or an answer that is not that shape is "unavailable",
and `PAYMENTS_RISK_FAIL_OPEN` decides: allow (true, the default) or block, either with the reason
`risk-scorer-unavailable`. Like a provider it sits behind the shared circuit breaker (after repeated timeouts or
5xx it is not asked until the breaker's reset time passes) and every call's latency goes to the provider-call
histogram (`provider="risk_scorer"`, `operation="assess"`).
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Literal

import httpx
import msgspec
from msgspec import Meta

from application.ports.risk import CheckoutFacts, RecentCheckouts
from domain.payments.risk import ALLOWED, MAX_SCORE, RiskAssessment, RiskDecision
from infrastructure.providers.circuit_breaker import CircuitBreaker
from infrastructure.providers.guarded_provider import ProviderCallObserver

NAME = "risk_scorer"  # its label in the provider-call histogram
UNAVAILABLE = "risk-scorer-unavailable"
SPOKE = "risk-scorer"  # the reason when the scorer reviews or blocks without saying why


class ScorerAnswer(msgspec.Struct):
    decision: Literal["allow", "review", "block"]
    score: Annotated[int, Meta(ge=0, le=MAX_SCORE)] = 0
    reasons: Annotated[list[Annotated[str, Meta(min_length=1, max_length=200)]], Meta(max_length=20)] = []


class _Unavailable(Exception):
    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


class ExternalScorer:
    def __init__(
        self,
        url: str,
        http: httpx.AsyncClient,
        timeout_seconds: float,
        fail_open: bool,
        breaker: CircuitBreaker,
        observer: ProviderCallObserver | None = None,
    ) -> None:
        self._url, self._http, self._timeout, self._breaker = url, http, timeout_seconds, breaker
        self._observer = observer
        decision = RiskDecision.ALLOW if fail_open else RiskDecision.BLOCK
        self._unavailable = RiskAssessment(decision, 0 if fail_open else MAX_SCORE, (UNAVAILABLE,))

    async def assess(self, facts: CheckoutFacts) -> RiskAssessment:
        started, outcome = time.perf_counter(), "ok"
        try:
            return _assessment(await self._ask(facts))
        except _Unavailable as unavailable:
            outcome = unavailable.outcome
            return self._unavailable
        finally:
            if self._observer is not None:
                self._observer.provider_call(NAME, "assess", outcome, time.perf_counter() - started)

    async def assess_counted(self, facts: CheckoutFacts, recent: RecentCheckouts) -> RiskAssessment:
        return ALLOWED  # the scorer counts nothing of ours

    async def _ask(self, facts: CheckoutFacts) -> ScorerAnswer:
        if self._breaker.is_open:
            raise _Unavailable("circuit_open")
        try:
            async with asyncio.timeout(self._timeout):  # the whole exchange, not each phase of it
                response = await self._http.post(
                    self._url,
                    content=msgspec.json.encode(facts_body(facts)),
                    headers={"Content-Type": "application/json", "Accept": "application/json"},
                    timeout=self._timeout,
                )
        except (TimeoutError, httpx.TimeoutException):
            self._breaker.record_failure()
            raise _Unavailable("timeout") from None
        except httpx.HTTPError:
            self._breaker.record_failure()
            raise _Unavailable("unavailable") from None
        if response.status_code >= 500:
            self._breaker.record_failure()
            raise _Unavailable("unavailable")
        self._breaker.record_success()  # it answered: up, even if what it said is of no use
        if response.status_code != 200:
            raise _Unavailable("refused")
        try:
            return msgspec.json.decode(response.content, type=ScorerAnswer)
        except msgspec.DecodeError:  # ValidationError included: the wrong shape is no answer either
            raise _Unavailable("error") from None


def _assessment(answer: ScorerAnswer) -> RiskAssessment:
    decision = RiskDecision(answer.decision)
    if decision is RiskDecision.ALLOW:
        return RiskAssessment(decision, answer.score)
    return RiskAssessment(decision, answer.score, tuple(answer.reasons) or (SPOKE,))


def facts_body(facts: CheckoutFacts) -> dict[str, object]:
    """What the scorer is told: the order, the money and the customer as the checkout described them."""
    return {
        "order_id": facts.order_id,
        "amount": facts.amount.amount,
        "currency": facts.amount.currency.code,
        "customer": {"email": facts.customer_email, "ip": facts.customer_ip, "country": facts.customer_country},
        "provider": facts.provider,
        "at": facts.at.isoformat().replace("+00:00", "Z"),
    }
