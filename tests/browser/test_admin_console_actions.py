"""The admin console's actions in headless Chromium, each a plain form post that redirects to its result: refund
with confirmation, capture, cancel, replay a webhook event, retry a callback, run reconciliation, create and
revoke a key, sign out. Each is checked where it lands (the API, the audit trail with source `admin`)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser, expect

from tests.browser.console import Console, Seeded, console_server, reload_until, sign_in
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.asyncio(loop_scope="session")  # the browser fixture's loop


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Seeded]]:
    yield from console_server(tmp_path_factory)


@pytest.fixture(scope="module")
def seeded(server: tuple[LiveServer, Seeded]) -> Seeded:
    return server[1]


@pytest_asyncio.fixture(loop_scope="session")
async def console(browser: Browser, server: tuple[LiveServer, Seeded]) -> AsyncIterator[Console]:
    yield Console(browser, server[0])


def audit(server: LiveServer, payment_id: str, event_type: str) -> tuple[str, str | None]:
    trail = server.get(f"/api/v1/payments/{payment_id}/events", key="admin").json()["data"]
    entry = next(e for e in trail if e["type"] == event_type)
    return entry["source"], entry["actor"]


async def test_a_refund_is_confirmed_then_made_and_audited(console: Console, seeded: Seeded) -> None:
    async with console.page("refunder", "refund") as offline:
        page = offline.page
        await offline.open(f"/admin/payments/{seeded.paid}")
        await expect(page.get_by_label("Amount")).to_have_value("99.99")
        await page.get_by_label("Amount").fill("25.00")
        await page.get_by_label("Reason").select_option("duplicate")
        await page.get_by_role("button", name="Refund").click()

        await expect(page.get_by_role("heading", name="Refund USD 25.00?")).to_be_visible()
        await page.get_by_role("button", name="Confirm refund").click()

        await expect(page.get_by_text("Refund requested")).to_be_visible()
        await expect(page.locator("table").filter(has_text="USD 25.00")).to_contain_text("duplicate")
        await page.go_back()  # the confirmation again, sent a second time
        await page.get_by_role("button", name="Confirm refund").click()
        await expect(page.get_by_text("was already sent once")).to_be_visible()
    refunds = console.server.payment(seeded.paid)["refunds"]
    assert [r["amount"] for r in refunds] == [2_500]
    assert audit(console.server, seeded.paid, "refund.requested") == ("admin", "refunder")


async def test_a_held_payment_is_captured(console: Console, seeded: Seeded) -> None:
    async with console.page("orders", "capture") as offline:
        page = offline.page
        await offline.open(f"/admin/payments/{seeded.held}")
        await expect(page.get_by_role("heading", name="EUR 123.45")).to_contain_text("authorized")
        await page.get_by_role("button", name="Capture").click()

        await expect(page.get_by_text("Capture sent")).to_be_visible()
        await reload_until(
            page, lambda: page.get_by_role("heading", name="EUR 123.45").filter(has_text="succeeded").is_visible()
        )
    assert console.server.payment(seeded.held)["amount_captured"] == 12_345
    assert audit(console.server, seeded.held, "payment.capture_requested") == ("admin", "orders")


async def test_an_open_payment_is_cancelled(console: Console, seeded: Seeded) -> None:
    async with console.page("orders", "cancel") as offline:
        page = offline.page
        await offline.open(f"/admin/payments/{seeded.open}")
        await page.get_by_role("button", name="Cancel payment").click()

        await expect(page.get_by_text("Payment cancelled")).to_be_visible()
        await expect(page.get_by_role("heading", name="GBP 25.00")).to_contain_text("cancelled")
        await expect(page.get_by_role("button", name="Cancel payment")).to_have_count(0)
        await expect(page.locator("ol.timeline li").last).to_contain_text("by orders")
    assert audit(console.server, seeded.open, "payment.cancelled") == ("admin", "orders")


async def test_a_failed_webhook_event_is_replayed(console: Console, seeded: Seeded) -> None:
    async with console.page("admin", "replay") as offline:
        page = offline.page
        await offline.open("/admin/webhook-events")
        await page.get_by_label("Status").select_option("failed")
        await page.get_by_role("button", name="Filter").click()
        await page.get_by_role("link", name="payment.succeeded").first.click()
        await expect(page.get_by_role("heading", name="Raw body")).to_be_visible()
        await expect(page.locator("td", has_text="simulator-signature").locator("+ td")).to_have_text("•••••• (masked)")
        attempts_before = await page.locator("dt:text('Attempts') + dd").text_content()

        await page.get_by_role("button", name="Replay").click()

        await expect(page.get_by_text("Webhook event replayed")).to_be_visible()
        await expect(page.locator("dt:text('Reason') + dd")).to_contain_text("pay_unknown_to_us")
        assert await page.locator("dt:text('Attempts') + dd").text_content() != attempts_before


async def test_a_failed_callback_is_retried(console: Console, seeded: Seeded) -> None:
    async with console.page("admin", "retry") as offline:
        page = offline.page
        await offline.open("/admin/notifications")
        failed = page.locator("tbody tr", has_text="HTTP 405")  # the callback URL answers POST with 405
        await reload_until(page, lambda: failed.first.is_visible())
        row = failed.first
        await row.get_by_role("button", name="Retry").click()

        await expect(page.get_by_text("Callback queued for delivery now")).to_be_visible()


async def test_reconciliation_runs_now(console: Console) -> None:
    async with console.page("admin", "reconciliation-run") as offline:
        page = offline.page
        await offline.open("/admin/reconciliation")
        await expect(page.get_by_role("heading", name="Needs a look")).to_be_visible()
        await page.get_by_role("button", name="Run now").click()

        await expect(page.get_by_role("heading", name="Run report")).to_be_visible()
        await expect(page.get_by_text("Reconciliation ran")).to_be_visible()


async def test_a_key_is_created_shown_once_and_revoked(console: Console) -> None:
    async with console.page("admin", "api-key-created") as offline:
        page = offline.page
        await offline.open("/admin/api-keys")
        await page.get_by_label("Name").fill("browser-reports")
        await page.get_by_label("payments:read").check()
        await page.get_by_role("button", name="Create key").click()

        secret = (await page.locator(".secret").text_content() or "").strip()
        assert secret.startswith("pay_sk_")
        assert (
            console.server.get("/api/v1/transactions", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        )
        await offline.open("/admin/api-keys")
        assert secret not in await page.content()
        row = page.locator("tbody tr", has_text="browser-reports")
        await expect(row).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"))  # last used

        await row.get_by_role("button", name="Revoke").click()

        await expect(page.get_by_text("Key revoked")).to_be_visible()
        await expect(page.locator("tbody tr", has_text="browser-reports")).to_contain_text("revoked")
    assert console.server.get("/api/v1/transactions", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


async def test_sign_out_ends_the_session(console: Console) -> None:
    async with console.page(None, "signed-out") as offline:
        page = offline.page
        await sign_in(page, offline.base_url, console.server.keys["reader"])
        await expect(page.get_by_role("heading", name="Overview")).to_be_visible()

        await page.get_by_role("button", name="Sign out").click()

        await expect(page.get_by_text("You are signed out.")).to_be_visible()
        await offline.open("/admin/transactions")
        await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
