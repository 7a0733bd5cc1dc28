"""Free text holding NUL (`\\u0000`) is refused with 422 at the door, as the OpenAPI document says: Postgres can
store it in neither text nor jsonb, and a checkout carrying one once failed its insert with a 500 (found by the
fuzzer's Postgres leg). Nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import LiveServer

NUL = "a\u0000b"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"description": NUL}, "/description"),
        ({"metadata": {"k": NUL}}, "/metadata"),
        ({"metadata": {NUL: "v"}}, "/metadata"),
        ({"customer": {"name": NUL}}, "/customer/name"),
        ({"customer": {"email": "a\u0000@example.com"}}, "/customer/email"),
        ({"callback_url": "https://example.com/a\u0000"}, "/callback_url"),
    ],
    ids=["description", "metadata-value", "metadata-key", "customer-name", "customer-email", "callback-url"],
)
def test_a_checkout_with_nul_in_its_text_is_a_validation_error(
    live_server: LiveServer, body: dict[str, Any], pointer: str
) -> None:
    answer = live_server.checkout("nul-order", 1000, "USD", **body)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["type"].endswith("/problems/validation-error")
    assert problem["errors"][0]["pointer"].startswith(pointer), problem
    assert live_server.get("/api/v1/orders/nul-order/payment-status", key="orders").status_code == 404


def test_a_refund_note_and_a_cancel_reason_with_nul_are_validation_errors(live_server: LiveServer) -> None:
    payment = live_server.paid_payment("nul-paid")
    refund = live_server.refund(payment["id"], amount=100, note=NUL)
    assert refund.status_code == 422, refund.text
    cancel = live_server.post(f"/api/v1/payments/{payment['id']}/cancel", key="orders", json={"reason": NUL})
    assert cancel.status_code == 422, cancel.text
    assert live_server.payment(payment["id"])["status"] == "succeeded"
