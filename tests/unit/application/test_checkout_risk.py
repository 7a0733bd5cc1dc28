"""Checkout asks the risk check before any provider call: block creates nothing, review proceeds and flags,
every assessment is recorded (`risk.assessed`) and counted. The real rules engine over the fake store."""

from __future__ import annotations

import pytest

from application.commands.checkout_order import CheckoutOrder
from application.ports.risk import CheckoutFacts, RecentCheckouts
from domain.payments.payment import CheckoutDetails
from domain.payments.risk import ALLOWED, PaymentBlocked, RiskAssessment, RiskDecision
from infrastructure.risk.combined import CombinedRiskAssessor
from infrastructure.risk.rules import BlocklistRule, MaxAmountRule, RiskRules, RuleHead, VelocityRule
from infrastructure.risk.rules_engine import RulesEngine
from tests.unit.fakes import Harness, harness

BLOCK, REVIEW = RiskDecision.BLOCK, RiskDecision.REVIEW
RULES = RiskRules(
    plain=(
        MaxAmountRule(RuleHead("big-usd", BLOCK, 90), "USD", 100_000),
        MaxAmountRule(RuleHead("large-usd", REVIEW, 40), "USD", 25_000),
        BlocklistRule(RuleHead("denylist", BLOCK, 100), frozenset({"fraud@example.com"}), frozenset(), (), frozenset()),
    ),
    counted=(VelocityRule(RuleHead("order-retries", BLOCK, 60), "order", 1, 3600),),
)


def with_rules(rules: RiskRules = RULES) -> Harness:
    return harness(risk_assessor=RulesEngine(rules))


async def test_a_blocked_checkout_creates_nothing_and_asks_no_provider() -> None:
    h = with_rules()

    with pytest.raises(PaymentBlocked) as blocked:
        await h.send(CheckoutOrder("order-1", 100_001, "USD"))

    assert blocked.value.reasons == ("big-usd", "large-usd")
    assert blocked.value.assessment.score == 90
    assert h.store.payments == {}
    assert h.store.audit == []
    assert h.store.outbox == []
    assert h.provider.checkouts == []
    assert h.metrics.of("risk_decision") == {("block",): 1}
    assert h.metrics.of("checkout") == {("fake", "rejected"): 1}


async def test_a_reviewed_checkout_proceeds_flagged_and_is_recorded() -> None:
    h = with_rules()

    result = await h.send(CheckoutOrder("order-1", 30_000, "USD"))

    risk = result.payment.risk
    assert risk is not None
    assert (risk.decision, risk.score, risk.reasons) == ("review", 40, ("large-usd",))
    assert h.provider.checkouts == [result.payment.id]  # review does not stop the payment
    assert h.store.events_of(result.payment.id) == [
        "payment.initiated",
        "risk.assessed",
        "payment.checkout_session_created",
    ]
    [assessed] = [row for row in h.store.audit if row.event == "risk.assessed"]
    assert assessed.data == {"decision": "review", "score": 40, "reasons": ("large-usd",)}
    assert h.metrics.of("risk_decision") == {("review",): 1}


async def test_an_allowed_checkout_is_recorded_as_allowed() -> None:
    h = with_rules()

    result = await h.send(CheckoutOrder("order-1", 500, "USD", details=CheckoutDetails(customer_email="a@b.co")))

    assert result.payment.risk is not None
    assert result.payment.risk.decision == "allow"
    assert "risk.assessed" in h.store.events_of(result.payment.id)
    assert h.metrics.of("risk_decision") == {("allow",): 1}


async def test_without_rules_nothing_is_assessed_or_recorded() -> None:
    h = harness()

    result = await h.send(CheckoutOrder("order-1", 100_000_000, "USD"))

    assert result.payment.risk is None
    assert "risk.assessed" not in h.store.events_of(result.payment.id)
    assert h.metrics.of("risk_decision") == {}


async def test_the_velocity_rule_counts_the_checkouts_that_created_a_payment() -> None:
    h = with_rules()
    first = await h.send(CheckoutOrder("order-1", 500, "USD"))
    h.store.payments[first.payment.id].fail("declined", h.clock.now())  # the order may try again…

    with pytest.raises(PaymentBlocked) as blocked:  # …but its second payment in the hour is the limit + 1-th
        await h.send(CheckoutOrder("order-1", 500, "USD"))

    assert blocked.value.reasons == ("order-retries",)
    assert len(h.store.payments) == 1
    h.clock.advance(seconds=3601)  # outside the window it counts no more
    assert (await h.send(CheckoutOrder("order-1", 500, "USD"))).created


async def test_a_repeated_checkout_of_the_open_payment_is_handed_back_not_counted() -> None:
    h = with_rules()
    first = await h.send(CheckoutOrder("order-1", 500, "USD"))

    again = await h.send(CheckoutOrder("order-1", 500, "USD"))  # a client's retry: no new payment, nothing to count

    assert (again.created, again.payment.id) == (False, first.payment.id)
    assert len(h.store.payments) == 1


class FixedAssessor:
    """Another assessor (an external scorer's stand-in) that always answers the same."""

    def __init__(self, answer: RiskAssessment) -> None:
        self.answer = answer

    async def assess(self, facts: CheckoutFacts) -> RiskAssessment:
        return self.answer

    async def assess_counted(self, facts: CheckoutFacts, recent: RecentCheckouts) -> RiskAssessment:
        return ALLOWED


async def test_combined_the_stricter_decision_wins() -> None:
    scorer = FixedAssessor(RiskAssessment(REVIEW, 65, ("scorer-new-device",)))
    h = harness(risk_assessor=CombinedRiskAssessor([RulesEngine(RULES), scorer]))

    reviewed = await h.send(CheckoutOrder("order-1", 500, "USD"))
    with pytest.raises(PaymentBlocked) as blocked:
        await h.send(CheckoutOrder("order-2", 500, "USD", details=CheckoutDetails(customer_email="Fraud@Example.com")))

    risk = reviewed.payment.risk
    assert risk is not None
    assert (risk.decision, risk.score, risk.reasons) == ("review", 65, ("scorer-new-device",))
    assert blocked.value.reasons == ("denylist", "scorer-new-device")
    assert blocked.value.assessment.score == 100
