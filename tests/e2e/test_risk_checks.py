"""Risk checks at checkout over real HTTP, with the shipped rules file and a fake external scorer: a block is
`422 payment-blocked` with its reasons and creates nothing; a review proceeds, is shown in every payment view,
listed by `?risk=review` and exported in the CSV; every assessment is audited and counted."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from infrastructure.risk.rules_file import read_risk_rules
from tests.e2e.conftest import LiveServer, serve
from tests.e2e.console_session import ConsoleSession
from tests.provider_fakes.risk_scorer import FakeRiskScorer
from tests.provider_fakes.server import running

RULES = Path(__file__).resolve().parents[2] / "deploy" / "risk-rules.toml"


@pytest.fixture
def scorer() -> Iterator[tuple[FakeRiskScorer, str]]:
    fake = FakeRiskScorer()
    with running(fake) as url:
        yield fake, url + "/score"


@pytest.fixture
def risky_server(
    database_url: str, api_keys: dict[str, str], scorer: tuple[FakeRiskScorer, str]
) -> Iterator[LiveServer]:
    rules, problems = read_risk_rules(str(RULES))
    assert problems == []
    yield from serve(database_url, api_keys, risk_rules=rules, risk_url=scorer[1], risk_fail_open=False)


def test_a_blocked_checkout_is_a_problem_with_its_reasons_and_creates_nothing(risky_server: LiveServer) -> None:
    s = risky_server

    blocked = s.checkout("order-big", 100_001, customer={"email": "ada@example.com", "country": "kp"})

    assert blocked.status_code == 422, blocked.text
    assert blocked.headers["content-type"].startswith("application/problem+json")
    problem = blocked.json()
    assert problem["type"].endswith("/problems/payment-blocked")
    assert problem["reasons"] == ["big-usd", "large-usd", "denylist"]
    assert s.get("/api/v1/orders/order-big/payment-status", key="orders").status_code == 404
    assert 'payments_risk_decisions_total{decision="block"} 1.0' in s.get("/metrics").text


def test_a_scorer_that_is_down_blocks_when_failing_closed(
    risky_server: LiveServer, scorer: tuple[FakeRiskScorer, str]
) -> None:
    scorer[0].mode = "down"

    blocked = risky_server.checkout("order-down", 500, customer={"email": "ada@example.com"})

    assert blocked.status_code == 422, blocked.text
    assert blocked.json()["reasons"] == ["risk-scorer-unavailable"]


def test_a_reviewed_payment_proceeds_and_is_shown_listed_and_exported(
    risky_server: LiveServer, scorer: tuple[FakeRiskScorer, str]
) -> None:
    s, (fake, _) = risky_server, scorer
    allowed = s.checkout("order-fine", 500, customer={"email": "bob@example.com", "ip": "192.0.2.1"})
    fake.mode = "review"

    created = s.checkout("order-flagged", 500, customer={"email": "eve@example.com", "ip": "::ffff:192.0.2.9"})

    assert allowed.status_code == 201, allowed.text
    assert created.status_code == 201, created.text
    payment = created.json()
    risk = {"decision": "review", "score": 55, "reasons": ["scorer-new-device"]}
    assert payment["risk"] == risk
    assert payment["checkout_url"]  # flagged, not stopped
    assert payment["customer"]["ip"] == "192.0.2.9"  # one spelling per address
    assert s.payment(payment["id"])["risk"] == risk
    assert allowed.json()["risk"] == {"decision": "allow", "score": 5, "reasons": []}
    assert fake.calls[-1]["customer"] == {"email": "eve@example.com", "ip": "192.0.2.9", "country": None}

    listed = s.get("/api/v1/transactions", key="orders", params={"risk": "review"}).json()["data"]
    assert [(row["id"], row["risk"]) for row in listed] == [(payment["id"], "review")]
    exported = s.get("/api/v1/transactions", key="orders", params={"risk": "review"}, headers={"Accept": "text/csv"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(row["id"], row["risk"]) for row in rows] == [(payment["id"], "review")]

    trail = s.get(f"/api/v1/payments/{payment['id']}/events", key="orders").json()["data"]
    assert [(e["type"], e["data"]) for e in trail if e["type"] == "risk.assessed"] == [("risk.assessed", risk)]
    scrape = s.get("/metrics").text
    assert 'payments_risk_decisions_total{decision="review"} 1.0' in scrape
    assert 'payments_risk_decisions_total{decision="allow"} 1.0' in scrape
    _the_console_shows_the_review(s, payment["id"], allowed.json()["id"])


def _the_console_shows_the_review(s: LiveServer, flagged: str, allowed: str) -> None:
    console = ConsoleSession(s).signed_in_as("orders")
    try:
        page = console.get(f"/admin/payments/{flagged}").text
        assert "review</span> score 55 · scorer-new-device" in page
        assert "192.0.2.9" in page
        listed = console.get("/admin/transactions", params={"risk": "review"}).text
        assert flagged in listed
        assert allowed not in listed
        assert "risk review</span>" in listed
        refused = console.get("/admin/transactions", params={"risk": "block"})
        assert refused.status_code == 422
        assert "is not a risk decision" in refused.text
    finally:
        console.close()


def test_a_customer_ip_that_is_no_address_is_refused(risky_server: LiveServer) -> None:
    refused = risky_server.checkout("order-bad-ip", 500, customer={"ip": "300.1.2.3"})

    assert refused.status_code == 422, refused.text
    assert refused.json()["type"].endswith("/problems/validation-error")
