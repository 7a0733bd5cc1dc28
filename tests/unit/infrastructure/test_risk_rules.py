"""Each rule kind on its own: what matches, what does not; and how assessments combine."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest

from application.ports.risk import CheckoutFacts, RecentCount
from domain.payments.risk import ALLOWED, RiskAssessment, RiskDecision, combine
from domain.shared.money import Money
from infrastructure.risk.rules import BlocklistRule, MaxAmountRule, RuleHead, VelocityRule

AT = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
HEAD = RuleHead("r", RiskDecision.BLOCK, 50)
LIST = BlocklistRule(
    HEAD,
    frozenset({"fraud@example.com"}),
    frozenset({"mailinator.com"}),
    tuple(ipaddress.ip_network(n) for n in ("203.0.113.0/24", "198.51.100.7/32", "2001:db8::/32")),
    frozenset({"KP"}),
)


def facts(amount: int = 1000, currency: str = "USD", **customer: str) -> CheckoutFacts:
    return CheckoutFacts("order-1", Money.of(amount, currency), AT, **customer)  # type: ignore[arg-type]


def test_max_amount_is_per_currency_and_strictly_above() -> None:
    rule = MaxAmountRule(HEAD, "USD", 100_000)
    assert not rule.matches(facts(100_000))
    assert rule.matches(facts(100_001))
    assert not rule.matches(facts(10_000_000, "JPY"))


@pytest.mark.parametrize(
    ("customer", "listed"),
    [
        ({"customer_email": "FRAUD@example.com"}, True),
        ({"customer_email": "someone@mailinator.com"}, True),
        ({"customer_email": "someone@eu.mailinator.com"}, True),
        ({"customer_email": "someone@notmailinator.com"}, False),
        ({"customer_ip": "203.0.113.200"}, True),
        ({"customer_ip": "198.51.100.7"}, True),
        ({"customer_ip": "198.51.100.8"}, False),
        ({"customer_ip": "2001:db8::1"}, True),
        ({"customer_ip": "not an ip"}, False),
        ({"customer_country": "KP"}, True),
        ({"customer_country": "GB"}, False),
        ({}, False),
    ],
)
def test_blocklist(customer: dict[str, str], listed: bool) -> None:
    assert LIST.matches(facts(**customer)) is listed


def test_velocity_counts_within_its_window_and_reaches_at_the_limit() -> None:
    rule = VelocityRule(HEAD, "email", 5, 3600)

    assert rule.query(facts(customer_email="a@b.co")) == RecentCount("email", "a@b.co", AT - timedelta(hours=1))
    assert rule.query(facts()) is None  # no e-mail: nothing to count
    assert not rule.reached(4)
    assert rule.reached(5)  # five earlier payments: this checkout is the sixth


def test_the_stricter_decision_wins_with_the_higher_score_and_every_reason_once() -> None:
    review = RiskAssessment(RiskDecision.REVIEW, 80, ("a", "b"))
    block = RiskAssessment(RiskDecision.BLOCK, 30, ("b", "c"))

    assert combine([review, block]) == RiskAssessment(RiskDecision.BLOCK, 80, ("a", "b", "c"))
    assert combine([]) == ALLOWED
    assert combine([ALLOWED, review]) == review
