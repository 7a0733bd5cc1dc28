"""The service's own pages: a landing page at `/` for people who open the service's address, and the stylesheet
every HTML page shares (`html_pages.py`). Neither is part of the API, so neither is in the OpenAPI document."""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Controller, Litestar, MediaType, Request, Response
from litestar.di import NamedDependency

from infrastructure.settings import Settings
from interfaces.http.head_responses import WithoutBody
from interfaces.http.html_pages import PAGE_CSP, STYLESHEET, STYLESHEET_PATH, html_page
from interfaces.http.route_handlers import get, head

ADMIN_CONSOLE_PATH = "/admin"

_QUICK_START = """<h2>Quick start</h2>
<p>Start a checkout for an order with an API key that has <code>payments:write</code> (in development,
<code>payments serve</code> prints an admin key when none is configured). Amounts are integers in the
currency's minor units.</p>
<pre>curl -s -X POST {base}/api/v1/orders/abc-123/checkout \\
  -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \\
  -d '{{"amount": 9999, "currency": "USD", "return_url": "https://shop.example/orders/abc-123/paid"}}'</pre>
<p>Send the customer to the <code>checkout_url</code> it answers (the simulator's page has Pay and Decline
buttons). The provider's webhook settles the payment; the order system asks for it with</p>
<pre>curl -s {base}/api/v1/orders/abc-123/payment-status -H "Authorization: Bearer $KEY"</pre>
<p>Errors are <code>application/problem+json</code>; each <code>type</code> links to a page like
<a href="/problems/validation-error">this one</a>.</p>"""


class PagesController(Controller):
    include_in_schema = False

    @get("/", media_type=MediaType.HTML)
    async def landing(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Response[str]:
        return _landing(request.app, settings)

    @head("/", media_type=MediaType.HTML)
    async def landing_head(
        self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]
    ) -> Response[None]:
        return WithoutBody(_landing(request.app, settings))

    @get(STYLESHEET_PATH, media_type="text/css")
    async def stylesheet(self) -> Response[str]:
        return Response(STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=86400"})


def _landing(app: Litestar, settings: Settings) -> Response[str]:
    links = []
    docs = app.openapi_config.path if app.openapi_config is not None else None
    if docs:
        links.append(f'<li><a href="{escape(docs)}">API reference</a>: every endpoint, tried out in the browser</li>')
    if _has_route(app, ADMIN_CONSOLE_PATH):  # the console is optional: link it only when this app serves it
        links.append(f'<li><a href="{ADMIN_CONSOLE_PATH}">Console</a>: payments, webhooks and notifications</li>')
    links.append('<li><a href="/health">/health</a>: answers 200 while the process is alive</li>')
    links.append('<li><a href="/ready">/ready</a>: database, migrations, broker and providers checked</li>')
    main = (
        "<h1>Payments</h1>\n<p>Hosted checkout, verified provider webhooks, refunds and signed order callbacks.</p>\n"
        f"<ul>{''.join(links)}</ul>\n" + _QUICK_START.format(base=escape(settings.public_url.rstrip("/")))
    )
    return Response(
        html_page("Payments", main), media_type=MediaType.HTML, headers={"Content-Security-Policy": PAGE_CSP}
    )


def _has_route(app: Litestar, path: str) -> bool:
    return any(route.path == path for route in app.routes)
