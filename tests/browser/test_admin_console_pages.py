"""The admin console's pages in headless Chromium: sign in, find and page transactions, export them, follow a
payment's timeline; a read-only key sees no controls and is refused when it posts anyway; a post without the
CSRF token is refused; the pages work without JavaScript. Screenshots of every main page at desktop and phone
widths go to reports/screenshots/console-*.png."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser, expect

from tests.browser.conftest import DESKTOP, SCREENSHOTS
from tests.browser.console import PHONE, Console, Seeded, console_server, csrf_token, post_form, sign_in
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


async def test_sign_in_refuses_a_wrong_key_and_opens_the_overview_with_a_good_one(console: Console) -> None:
    async with console.page(None, "sign-in") as offline:
        page = offline.page
        await sign_in(page, offline.base_url, "pk_wrong_key")
        await expect(page.get_by_text("Invalid API key")).to_be_visible()

        await page.get_by_label("API key").fill(console.server.keys["admin"])
        await page.get_by_role("button", name="Sign in").click()

        await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        await expect(page.get_by_role("heading", name="Payments per hour")).to_be_visible()
        assert await page.locator("svg rect.bar").count() == 24
        cookie = next(c for c in await page.context.cookies() if c["name"] == "payments_admin")
        assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", "/admin")


async def test_transactions_are_filtered_and_paged(console: Console) -> None:
    async with console.page("admin", "transactions") as offline:
        page = offline.page
        await offline.open("/admin/transactions")
        rows = page.locator("tbody tr")
        await expect(rows).to_have_count(50)
        await page.get_by_role("link", name="Next page").click()
        await expect(rows.first).to_be_visible()
        assert 0 < await rows.count() < 50
        await expect(page.get_by_role("link", name="Next page")).to_have_count(0)

        await page.get_by_label("Currency").fill("JPY")
        await page.get_by_label("Status").select_option("succeeded")
        await page.get_by_role("button", name="Filter").click()

        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text("JPY 1,000")


async def test_export_csv_downloads_the_filtered_transactions(console: Console) -> None:
    async with console.page("reader", "export") as offline:
        page = offline.page
        await offline.open("/admin/transactions?currency=USD&status=succeeded")
        async with page.expect_download() as downloaded:
            await page.get_by_role("link", name="Export CSV").click()
        path = await (await downloaded.value).path()
        lines = path.read_text().splitlines()
        assert lines[0].startswith("id,kind,payment_id,order_id")
        assert len(lines) == 2  # the header and the one paid USD payment
        assert ",USD," in lines[1]


async def test_a_payment_opens_from_the_table_with_its_timeline(console: Console, seeded: Seeded) -> None:
    async with console.page("admin", "payment") as offline:
        page = offline.page
        await offline.open("/admin/transactions?currency=USD&status=succeeded")
        await page.get_by_role("link", name=seeded.paid).click()

        await expect(page.get_by_role("heading", name="USD 99.99")).to_be_visible()
        timeline = page.locator("ol.timeline li")
        await expect(timeline.first).to_contain_text("payment.initiated")
        await expect(timeline.filter(has_text="payment.succeeded")).to_contain_text("webhook")
        await expect(page.get_by_role("button", name="Refund")).to_be_visible()


async def test_a_read_only_key_sees_no_controls_and_its_posts_are_refused(console: Console, seeded: Seeded) -> None:
    async with console.page("reader", "read-only-payment") as offline:
        page = offline.page
        await offline.open(f"/admin/payments/{seeded.paid}")
        await expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
        for control in ("Refund", "Capture", "Cancel payment"):
            await expect(page.get_by_role("button", name=control)).to_have_count(0)
        await offline.open(f"/admin/webhook-events/{seeded.failed_event}")
        await expect(page.get_by_role("button", name="Replay")).to_have_count(0)
        await offline.open("/admin/api-keys")
        await expect(page.get_by_role("button", name="Create key")).to_have_count(0)
        await expect(page.get_by_role("button", name="Revoke")).to_have_count(0)

        token = await csrf_token(page)
        fields = {"csrf_token": token, "form_key": "f" * 32, "amount": "100", "reason": "other"}
        refused = await post_form(page, f"/admin/payments/{seeded.paid}/refund", fields)
        replay = await post_form(page, f"/admin/webhook-events/{seeded.failed_event}/replay", fields)

        assert refused.status == replay.status == 403
        assert "Your key may not do this" in await refused.text()
    assert console.server.payment(seeded.paid)["refunds"] == []


async def test_a_post_without_the_csrf_token_is_refused(console: Console, seeded: Seeded) -> None:
    async with console.page("admin", "csrf-refused") as offline:
        await offline.open(f"/admin/payments/{seeded.open}")
        refused = await post_form(offline.page, f"/admin/payments/{seeded.open}/cancel", {"form_key": "g" * 32})
        assert refused.status == 403
    assert console.server.payment(seeded.open)["status"] == "processing"


async def test_the_pages_work_without_javascript(console: Console, seeded: Seeded) -> None:
    async with console.page("admin", "no-javascript", javascript=False) as offline:
        page = offline.page
        for path in (
            "/admin",
            "/admin/transactions",
            f"/admin/payments/{seeded.paid}",
            "/admin/webhook-events",
            f"/admin/webhook-events/{seeded.failed_event}",
            "/admin/notifications",
            "/admin/reconciliation",
            "/admin/api-keys",
        ):
            assert (await offline.open(path)).status == 200, path
        await offline.open(f"/admin/payments/{seeded.paid_jpy}")
        await page.get_by_label("Amount").fill("100")
        await page.get_by_role("button", name="Refund").click()
        await page.get_by_role("button", name="Confirm refund").click()  # a plain form post, then a redirect
        await expect(page.get_by_text("Refund requested")).to_be_visible()
        await expect(page.locator("table").filter(has_text="JPY 100")).to_be_visible()


@pytest.mark.parametrize("width", ["desktop", "phone"])
async def test_screenshots_of_the_main_pages(console: Console, seeded: Seeded, width: str) -> None:
    pages = {
        "overview": "/admin",
        "transactions": "/admin/transactions",
        "payment": f"/admin/payments/{seeded.paid}",
        "webhook-events": "/admin/webhook-events",
        "webhook-event": f"/admin/webhook-events/{seeded.failed_event}",
        "notifications": "/admin/notifications",
        "reconciliation": "/admin/reconciliation",
        "api-keys": "/admin/api-keys",
    }
    viewport = PHONE if width == "phone" else DESKTOP
    async with console.page("admin", f"last-{width}", viewport=viewport) as offline:
        for name, path in pages.items():
            assert (await offline.open(path)).status == 200
            await offline.page.screenshot(path=SCREENSHOTS / f"console-{name}-{width}.png", full_page=True)
            overflow = await offline.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways at {width} width"
        assert offline.errors == []
