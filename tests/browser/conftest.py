"""Browser tests: the real app over HTTP (tests/e2e's `serve`), driven by headless Chromium through Playwright.

Chromium is the Debian package at /usr/bin/chromium, launched by path: `playwright install` downloads its own
browsers, which this project never does (`make test` installs the Debian package when it can, see the
Makefile). Without it the tests are skipped with the reason shown, or fail when PAYMENTS_TEST_REQUIRE_BROWSER=1
(CI).

Playwright's async API, on one event loop for the session (the browser is started once): a test module here
sets `pytestmark = pytest.mark.asyncio(loop_scope="session")`. The sync API would not do: while it is open it
leaves its loop marked as running in the main thread, so every later `asyncio.run` and async test would fail.

Each test gets an `OfflinePage`: a fresh browser context, desktop-sized, cut off from every host but the app's
(requests elsewhere are aborted and recorded), recording CSP violations and console errors; a full-page
screenshot of it is saved as reports/screenshots/<test>.png when the test ends, passed or failed.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from playwright.async_api import Browser, ConsoleMessage, Page, Response, Route, ViewportSize, async_playwright

from infrastructure.db import migrate
from tests.e2e.conftest import API_KEYS, LiveServer, serve

CHROMIUM = Path("/usr/bin/chromium")
# without the last five, Chromium's background services try the network, which this machine's closed network
# refuses slowly
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "reports" / "screenshots"
# in every page before its own scripts: the browser's CSP violation events, sent to the test (a binding, which
# the page's own CSP cannot block)
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) =>
  window.reportCspViolation(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"} in ${event.sourceFile}`)
);
"""


def browser_required() -> bool:
    return os.environ.get("PAYMENTS_TEST_REQUIRE_BROWSER") == "1"


@dataclass
class OfflinePage:
    """A page that can reach only the app: what it tried elsewhere, and what the browser complained about."""

    page: Page
    base_url: str
    requested: list[str] = field(default_factory=list)  # URLs the app was asked for
    left: list[str] = field(default_factory=list)  # URLs on other hosts: aborted
    csp_violations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions

    async def open(self, path: str) -> Response:
        response = await self.page.goto(self.base_url + path)
        assert response is not None, f"no response for {path}"
        return response

    async def route(self, route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == urlsplit(self.base_url).netloc:
            self.requested.append(url)
            await route.continue_()
        else:
            self.left.append(url)
            await route.abort("blockedbyclient")

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app over HTTP on a migrated SQLite file, for one test module."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('browser') / 'payments.db'}"
    migrate.upgrade(url)
    yield from serve(url, {name: f"pk_browser_{name}_{uuid.uuid4().hex}" for name in API_KEYS})


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.is_file():
        reason = f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)"
        if browser_required():
            pytest.fail(f"PAYMENTS_TEST_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest_asyncio.fixture(loop_scope="session")
async def offline_page(
    browser: Browser, app_server: LiveServer, request: pytest.FixtureRequest
) -> AsyncIterator[OfflinePage]:
    context = await browser.new_context(viewport=DESKTOP, service_workers="block")
    try:
        violations: list[str] = []
        await context.expose_binding("reportCspViolation", lambda _source, text: violations.append(text))
        await context.add_init_script(REPORT_CSP_VIOLATIONS)
        offline = OfflinePage(await context.new_page(), app_server.base_url, csp_violations=violations)
        await context.route("**/*", offline.route)  # before the first navigation
        offline.page.on("console", offline.console)
        offline.page.on("pageerror", lambda error: offline.errors.append(f"uncaught: {error}"))
        yield offline
        await _screenshot(offline.page, request.node.name)
    finally:
        await context.close()


async def _screenshot(page: Page, test_name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', test_name)}.png", full_page=True)
