"""Velocity counts are exact under concurrency: the real composition root on Postgres (and SQLite), checkouts at
once for one e-mail against a limit, from one process's pool and from two (two API processes share the rows)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from application.bus import MessageBus
from application.commands.checkout_order import CheckoutOrder
from application.queries.get_audit_trail import GetAuditTrail
from domain.payments.payment import CheckoutDetails
from domain.payments.risk import PaymentBlocked, RiskDecision
from infrastructure.container import Container, build_container, close_resources
from infrastructure.db.tables import payments
from infrastructure.providers.simulator.config import SimulatorConfig
from infrastructure.risk.rules import RiskRules, RuleHead, VelocityRule
from tests.provider_settings import settings_with

EMAIL_LIMIT = VelocityRule(RuleHead("email-velocity", RiskDecision.BLOCK, 70), "email", 5, 3600)
IP_REVIEW = VelocityRule(RuleHead("ip-velocity", RiskDecision.REVIEW, 40), "ip", 2, 600)

Containers = Callable[[], Container]


@pytest.fixture
async def containers(database_url: str) -> AsyncIterator[Containers]:
    """Builds containers on one database, each with its own pool (as separate API processes have)."""
    built: list[Container] = []

    def build() -> Container:
        settings = settings_with(
            database_url=database_url,
            simulator=SimulatorConfig(webhook_secrets=("whsec_sim_risk",), settle_delay_seconds=3600),
            db_pool_size=20,
            risk_rules=RiskRules(counted=(EMAIL_LIMIT, IP_REVIEW)),
        )
        built.append(build_container(settings))
        return built[-1]

    yield build
    for container in built:
        await close_resources(container)


def checkout(n: int, email: str = "tester@example.com", ip: str | None = None) -> CheckoutOrder:
    details = CheckoutDetails(customer_email=email, customer_ip=ip)
    return CheckoutOrder(f"order-velocity-{n}", 1_000 + n, "USD", details=details)


async def _payments_for(container: Container, email: str) -> int:
    async with container.engine().connect() as connection:
        count = select(func.count()).select_from(payments).where(payments.c.customer_email == email)
        return int((await connection.execute(count)).scalar_one())


def _split(results: list[Any]) -> tuple[list[Any], list[BaseException]]:
    allowed = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    return allowed, refused


async def test_twenty_concurrent_checkouts_for_one_email_allow_exactly_the_limit(containers: Containers) -> None:
    container = containers()
    bus: MessageBus = container.bus()

    results = await asyncio.gather(*(bus.send(checkout(n)) for n in range(20)), return_exceptions=True)

    allowed, refused = _split(results)
    assert len(allowed) == 5
    assert len(refused) == 15
    assert all(isinstance(r, PaymentBlocked) and r.reasons == ("email-velocity",) for r in refused), refused
    assert await _payments_for(container, "tester@example.com") == 5  # a blocked checkout created nothing


async def test_one_email_in_other_cases_is_one_customer_even_at_once(containers: Containers) -> None:
    container = containers()
    bus: MessageBus = container.bus()
    spellings = ("Mixed@Example.com", "mixed@example.com", "MIXED@EXAMPLE.COM", "mixed@Example.COM")

    results = await asyncio.gather(
        *(bus.send(checkout(n, spellings[n % 4])) for n in range(20)), return_exceptions=True
    )

    allowed, refused = _split(results)
    assert (len(allowed), len(refused)) == (5, 15)  # one limit for them all, under one lock
    assert all(isinstance(r, PaymentBlocked) and r.reasons == ("email-velocity",) for r in refused), refused
    assert sum([await _payments_for(container, spelling) for spelling in spellings]) == 5


async def test_two_processes_count_the_same_rows(containers: Containers) -> None:
    first, second = containers(), containers()
    buses: list[MessageBus] = [first.bus(), second.bus()]

    results = await asyncio.gather(
        *(buses[n % 2].send(checkout(n, "shared@example.com")) for n in range(20)), return_exceptions=True
    )

    allowed, refused = _split(results)
    assert (len(allowed), len(refused)) == (5, 15)
    assert all(isinstance(r, PaymentBlocked) for r in refused), refused
    assert await _payments_for(first, "shared@example.com") == 5


async def test_a_review_rule_flags_the_checkouts_past_its_limit_and_they_proceed(containers: Containers) -> None:
    bus: MessageBus = containers().bus()

    results = [await bus.send(checkout(n, f"buyer{n}@example.com", ip="198.51.100.9")) for n in range(4)]

    decisions = [r.payment.risk.decision for r in results]
    assert decisions == ["allow", "allow", "review", "review"]
    assert all(r.payment.checkout_url for r in results)  # flagged payments still reach the provider
    assert results[3].payment.risk.reasons == ("ip-velocity",)
    trail = await bus.send(GetAuditTrail(results[3].payment.id))
    assessed = [entry for entry in trail if entry.type == "risk.assessed"]
    assert [e.data for e in assessed] == [{"decision": "review", "score": 40, "reasons": ["ip-velocity"]}]


async def test_rules_on_shared_keys_count_exactly_and_never_deadlock(containers: Containers) -> None:
    """Two e-mails, one IP, twenty at once: each checkout locks two keys, half of them shared with every other."""
    bus: MessageBus = containers().bus()

    results = await asyncio.gather(
        *(bus.send(checkout(n, f"pair{n % 2}@example.com", ip="203.0.113.50")) for n in range(20)),
        return_exceptions=True,
    )

    allowed, refused = _split(results)
    assert all(isinstance(r, PaymentBlocked) for r in refused), refused  # no deadlock, no other error
    assert len(allowed) == 10  # five per e-mail
    decisions = sorted(r.payment.risk.decision for r in allowed)
    assert decisions == ["allow"] * 2 + ["review"] * 8  # the IP's limit of 2, counted across both e-mails
