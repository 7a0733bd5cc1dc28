"""`/schema` in a browser cut off from the internet: the interactive API page renders every operation from files
the app serves itself, under its CSP, without trying to reach any other host."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import OfflinePage
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.asyncio(loop_scope="session")  # the browser fixture's loop

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
# a few operations a reader looks for first: (method, path) as the OpenAPI document names them
LOOKED_FOR = [
    ("post", "/api/v1/orders/{order_id}/checkout"),
    ("get", "/api/v1/orders/{order_id}/payment-status"),
    ("post", "/api/v1/payments/{payment_id}/refund"),
    ("get", "/api/v1/transactions"),
    ("post", "/api/v1/webhooks/{provider}"),
]


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


async def test_the_api_page_renders_every_operation_offline_under_its_policy(
    offline_page: OfflinePage, app_server: LiveServer
) -> None:
    documented = operations(app_server.get("/schema/openapi.json").json())
    assert set(LOOKED_FOR) <= set(documented)

    page = offline_page.page
    response = await offline_page.open("/schema")
    assert response.status == 200
    await page.wait_for_load_state("networkidle")
    assert offline_page.left == [], "the page tried to reach other hosts"

    blocks = page.locator(".opblock")
    await expect(blocks).to_have_count(len(documented), timeout=20_000)  # the document fetched and rendered, all of it
    for method, path in LOOKED_FOR:
        block = page.locator(f".opblock-{method}:has(.opblock-summary-path[data-path='{path}'])")
        await expect(block).to_be_visible()
        await expect(block.locator(".opblock-summary-method")).to_have_text(method.upper())
        await expect(block.locator(".opblock-summary-description")).to_have_text(documented[method, path]["summary"])
    await expect(page.locator(".info .title")).to_contain_text("Payments")

    # interactive: open an operation, try it out, and the app's answer is shown (fetched from this origin)
    health = page.locator(".opblock-get:has(.opblock-summary-path[data-path='/health'])")
    await health.locator(".opblock-summary").click()
    await health.get_by_role("button", name="Try it out").click()
    await health.get_by_role("button", name="Execute").click()
    await expect(health.locator(".live-responses-table tbody .response-col_status")).to_have_text("200")
    await expect(health.locator(".live-responses-table tbody .response-col_description")).to_contain_text('"status"')

    assert offline_page.left == [], "the page tried to reach other hosts"
    assert offline_page.csp_violations == []
    assert offline_page.errors == []
    loaded = {url.split("?")[0].removeprefix(app_server.base_url) for url in offline_page.requested}
    assert {"/schema/assets/swagger-ui/swagger-ui-bundle.js", "/schema/openapi.json"} <= loaded


async def test_the_offline_page_refuses_and_records_requests_to_other_hosts(offline_page: OfflinePage) -> None:
    """The cut-off itself: a fetch from elsewhere gets a network error, and the test sees it (from a blank page:
    the app's own pages have a CSP that would stop the fetch before the network)."""
    await offline_page.page.goto("about:blank")
    failed = await offline_page.page.evaluate(
        "fetch('http://payments-browser-test.invalid/x').then(() => false, () => true)"
    )
    assert failed
    assert offline_page.left == ["http://payments-browser-test.invalid/x"]
