"""The simulator's checkout page in a browser, as a person trying the service with `make serve` uses it: a
manual-capture checkout shows Authorize, the press lands on the "payment complete" page, and the payment is held
until the shop captures it."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import expect

from tests.browser.conftest import SCREENSHOTS, OfflinePage
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.asyncio(loop_scope="session")  # the browser fixture's loop


def manual_checkout(server: LiveServer) -> str:
    created = server.checkout(f"order-browser-{uuid.uuid4().hex[:8]}", 12_345, "EUR", capture="manual")
    assert created.status_code == 201, created.text
    payment_id: str = created.json()["id"]
    return payment_id


async def test_a_manual_payment_is_authorized_on_the_page_then_captured(
    offline_page: OfflinePage, app_server: LiveServer
) -> None:
    payment_id = manual_checkout(app_server)
    page = offline_page.page
    await offline_page.open(f"/simulator/checkout/{payment_id}")
    await expect(page.locator(".amount")).to_have_text("123.45 EUR")
    await expect(page.get_by_role("button", name="Pay")).to_have_count(0)
    await expect(page.get_by_role("button", name="Decline")).to_be_visible()
    await page.screenshot(path=SCREENSHOTS / "simulator-authorize-page.png", full_page=True)  # for a person to look at

    await page.get_by_role("button", name="Authorize").click()

    await page.wait_for_url(f"**/simulator/checkout/{payment_id}/complete")
    await expect(page.locator(".final")).to_have_text(
        "Payment authorized: the funds are held until the shop captures them."
    )
    held = app_server.payment(payment_id)
    assert (held["status"], held["amount_capturable"]) == ("authorized", 12_345)

    headers = {**app_server.auth("orders"), "Idempotency-Key": uuid.uuid4().hex}
    captured = app_server.http.post(f"/api/v1/payments/{payment_id}/capture", headers=headers, json={})
    assert captured.status_code == 200, captured.text
    for _ in range(50):  # the simulator settles the capture by webhook after its delay (0.05 s here)
        await page.reload()
        if await page.locator(".final").text_content() == "Payment complete: paid.":
            break
        await page.wait_for_timeout(100)
    await expect(page.locator(".final")).to_have_text("Payment complete: paid.")
    assert offline_page.csp_violations == []
    assert offline_page.errors == []
