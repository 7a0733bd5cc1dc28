"""The admin console in a browser: one server per test module (worker loops on, callbacks enabled, seeded with
payments in every state the console acts on), and pages signed in as a given key.

Each key signs in once per module through the real form; its session cookie is then reused by every page
opened for it (a fresh browser context each, cut off from other hosts like `OfflinePage`), so the tests stay
fast and well under the sign-in rate limit. Each page is screenshotted when its test ends.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.async_api import Browser, Page, StorageState, ViewportSize, expect

from infrastructure.db import migrate
from tests.browser.conftest import DESKTOP, REPORT_CSP_VIOLATIONS, SCREENSHOTS, OfflinePage
from tests.e2e.conftest import API_KEYS, LiveServer, serve

PHONE: ViewportSize = {"width": 390, "height": 844}
CALLBACK_SECRET = "cbsec_browser_" + "1" * 24


@dataclass(frozen=True)
class Seeded:
    paid: str  # USD 99.99, succeeded: refund it
    paid_jpy: str  # JPY 1,000, succeeded
    held: str  # EUR 123.45, authorized (manual capture): capture it
    open: str  # processing: cancel it
    failed_event: str  # a webhook event for a payment we do not know: failed, replay it


def seed(server: LiveServer) -> Seeded:
    """Payments in each state the console acts on, and enough others for two pages of transactions."""
    callback = {"callback_url": f"{server.base_url}/health"}  # answers POST with 405: the callback fails
    paid = server.paid_payment(f"order-paid-{uuid.uuid4().hex[:6]}", 9_999, "USD")
    paid_jpy = server.paid_payment(f"order-jpy-{uuid.uuid4().hex[:6]}", 1_000, "JPY")
    held = server.checkout(f"order-held-{uuid.uuid4().hex[:6]}", 12_345, "EUR", capture="manual", **callback).json()
    authorized = {"payment_id": held["id"], "amount": 12_345, "currency": "EUR"}
    assert server.simulator_webhook("payment.authorized", authorized).status_code == 200
    opened = server.checkout(f"order-open-{uuid.uuid4().hex[:6]}", 2_500, "GBP").json()
    for n in range(55):
        assert server.checkout(f"order-bulk-{n:03d}", 1_000 + n, "USD").status_code == 201
    unknown = {"payment_id": "pay_unknown_to_us", "amount": 100, "currency": "USD"}
    event_id = f"evt_browser_{uuid.uuid4().hex}"
    assert server.simulator_webhook("payment.succeeded", unknown, event_id=event_id).status_code == 200
    listed = server.get("/api/v1/webhook-events?status=failed", key="admin").json()["data"]
    failed = next(e["id"] for e in listed if e["event_id"] == event_id)
    return Seeded(paid["id"], paid_jpy["id"], held["id"], opened["id"], failed)


def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Seeded]]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('console') / 'payments.db'}"
    migrate.upgrade(url)
    keys = {name: f"pk_console_{name}_{uuid.uuid4().hex}" for name in API_KEYS}
    for server in serve(url, keys, run_worker=True, callback_secret=CALLBACK_SECRET):
        yield server, seed(server)


class Console:
    """Opens console pages in the browser as one of the e2e keys (orders, reader, refunder, admin)."""

    def __init__(self, browser: Browser, server: LiveServer) -> None:
        self.browser, self.server = browser, server
        self._states: dict[str, StorageState] = {}

    @asynccontextmanager
    async def page(
        self, as_key: str | None, name: str, *, viewport: ViewportSize = DESKTOP, javascript: bool = True
    ) -> AsyncIterator[OfflinePage]:
        state = None if as_key is None else await self._state(as_key)
        context = await self.browser.new_context(
            viewport=viewport,
            service_workers="block",
            storage_state=state,
            java_script_enabled=javascript,
            accept_downloads=True,
        )
        try:
            violations: list[str] = []
            await context.expose_binding("reportCspViolation", lambda _source, text: violations.append(text))
            await context.add_init_script(REPORT_CSP_VIOLATIONS)
            offline = OfflinePage(await context.new_page(), self.server.base_url, csp_violations=violations)
            await context.route("**/*", offline.route)
            offline.page.on("console", offline.console)
            offline.page.on("pageerror", lambda error: offline.errors.append(f"uncaught: {error}"))
            yield offline
            await offline.page.screenshot(path=SCREENSHOTS / f"console-{name}.png", full_page=True)
            assert offline.csp_violations == [], offline.csp_violations
            assert offline.left == [], f"the page reached other hosts: {offline.left}"
        finally:
            await context.close()

    async def _state(self, as_key: str) -> StorageState:
        if as_key not in self._states:
            context = await self.browser.new_context(viewport=DESKTOP)
            try:
                page = await context.new_page()
                await sign_in(page, self.server.base_url, self.server.keys[as_key])
                await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
                self._states[as_key] = await context.storage_state()
            finally:
                await context.close()
        return self._states[as_key]


async def sign_in(page: Page, base_url: str, key: str) -> None:
    await page.goto(f"{base_url}/admin/login")
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()


async def csrf_token(page: Page) -> str:
    """The session's CSRF token, as every form on the page carries it."""
    token = await page.locator('input[name="csrf_token"]').first.get_attribute("value")
    assert token
    return token


async def post_form(page: Page, path: str, fields: dict[str, str]) -> Any:
    """A post from inside the browser's session (its cookies), as a forged or hand-made form would send it."""
    return await page.request.post(page.url.split("/admin")[0] + path, form=fields, max_redirects=0)


async def reload_until(page: Page, done: Callable[[], Awaitable[bool]], tries: int = 50) -> None:
    """Reloads until `done` (the worker's loops settle things in the background)."""
    for _ in range(tries):
        if await done():
            return
        await page.wait_for_timeout(100)
        await page.reload()
    raise AssertionError("the page never showed what was expected")
