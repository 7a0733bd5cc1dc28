"""Order ids that are not ids: `.` and `..` (which URL normalisation turns into another path) and an id with a
trailing newline are refused wherever an order id is taken, as `422 validation-error` naming `order_id`, and
nothing is created."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import LiveServer

NOT_IDS = ["%2e", "%2e%2e", "%2E%2E", "abc%0A"]


def assert_refused(answer_status: int, problem: dict[str, object]) -> None:
    assert answer_status == 422, problem
    assert str(problem["type"]).endswith("/problems/validation-error")
    errors = problem["errors"]
    assert isinstance(errors, list)
    assert [error["parameter"] for error in errors] == ["order_id"]


@pytest.mark.parametrize("order_id", NOT_IDS)
def test_checkout_refuses_them_and_creates_nothing(sqlite_server: LiveServer, order_id: str) -> None:
    answer = sqlite_server.checkout(order_id)
    assert_refused(answer.status_code, answer.json())
    assert sqlite_server.get("/api/v1/transactions", key="reader").json()["data"] == []


@pytest.mark.parametrize("order_id", NOT_IDS)
def test_payment_status_refuses_them(sqlite_server: LiveServer, order_id: str) -> None:
    answer = sqlite_server.get(f"/api/v1/orders/{order_id}/payment-status", key="reader")
    assert_refused(answer.status_code, answer.json())


@pytest.mark.parametrize("order_id", NOT_IDS)
def test_the_transactions_filter_refuses_them(sqlite_server: LiveServer, order_id: str) -> None:
    answer = sqlite_server.get(f"/api/v1/transactions?order_id={order_id}", key="reader")
    assert_refused(answer.status_code, answer.json())


@pytest.mark.parametrize("order_id", ["...", ".a", "a.b", "order:1_2-3"])
def test_dots_among_other_characters_are_still_ids(sqlite_server: LiveServer, order_id: str) -> None:
    created = sqlite_server.checkout(order_id)
    assert created.status_code == 201, created.text
    assert created.json()["order_id"] == order_id
    status = sqlite_server.get(f"/api/v1/orders/{order_id}/payment-status", key="reader")
    assert status.status_code == 200, status.text
    listed = sqlite_server.get(f"/api/v1/transactions?order_id={order_id}", key="reader").json()["data"]
    assert [row["order_id"] for row in listed] == [order_id]
