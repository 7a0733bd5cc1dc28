"""A Mollie payment whose webhook never came is settled by a reconciliation run from Mollie's payment list, on
SQLite and on Postgres; one whose webhook did come is a duplicate, and another shop's payment is never listed."""

from __future__ import annotations

from tests.e2e.conftest import LiveServer
from tests.provider_fakes.mollie import FakeMollie


def checkout(s: LiveServer, order_id: str) -> tuple[str, str]:
    created = s.checkout(order_id, 10_000, "EUR", provider="mollie", description=f"Order {order_id}")
    assert created.status_code == 201, created.text
    return created.json()["id"], created.json()["provider_reference"]


def test_a_paid_payment_whose_webhook_never_came_is_settled_by_the_janitor(
    server: LiveServer, mollie: FakeMollie
) -> None:
    s = server
    notified_pid, notified_tr = checkout(s, "order-mollie-notified")
    mollie.set_payment_status(notified_tr, "paid")
    assert mollie.deliver(f"{s.base_url}/api/v1/webhooks/mollie", notified_tr).status_code == 200
    silent_pid, silent_tr = checkout(s, "order-mollie-silent")
    mollie.set_payment_status(silent_tr, "paid")  # Mollie's webhook for this one never reaches us

    run = s.post("/api/v1/reconciliation/runs", key="admin").json()

    assert (run["pulled_events"], run["new_events"], run["errors"]) == (2, 1, [])
    assert s.payment(silent_pid)["status"] == "succeeded"
    assert s.payment(notified_pid)["status"] == "succeeded"
    assert s.inbox_by_event("mollie", f"{silent_tr}:paid") == ("processed", None)
    again = s.post("/api/v1/reconciliation/runs", key="admin").json()
    assert (again["pulled_events"], again["new_events"]) == (2, 0)
