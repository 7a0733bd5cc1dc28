"""The simulator's hosted checkout page: what a customer sees at the simulator's `checkout_url`.

Pay (Authorize, for a manual-capture payment: the funds are held until the shop captures them) and Decline do
what a real provider does after its own page: send us a signed webhook over HTTP (through
the normal webhook path, so the page proves that path works), then send the customer back to the shop. A checkout
without a `return_url` (a trial with curl, the README's quick start) has no shop to go back to: the customer lands
on the simulator's own "payment complete" page, which shows the result and how an order system reads it.
Only payments made through the simulator have pages; no API key is needed, as with a provider's page.
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from litestar import Controller, MediaType, Response
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter
from litestar.response import Redirect

from application.bus import MessageBus
from application.errors import PaymentNotFound
from application.queries.get_payment import GetPayment
from application.views import PaymentView
from domain.payments.status import status_phrase
from domain.shared.money import Currency
from infrastructure.providers.simulator.adapter import PressOutcome, SimulatorPaymentProvider
from interfaces.http.html_pages import html_page
from interfaces.http.route_handlers import get, post

# The page loads only the service's own stylesheet (html_pages.py). No form-action: the redirect after a press
# leaves for the shop's return_url, which form-action 'self' would block in some browsers.
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}

_PAID = frozenset({"succeeded", "partially_refunded", "refunded", "disputed"})


def _simulator(container: NamedDependency[Any]) -> SimulatorPaymentProvider:
    # `Any`, not `Container`: a declarative container's instance is a DynamicContainer, which Litestar's
    # signature check would reject as not being a `Container`.
    simulator: SimulatorPaymentProvider = container.simulator()
    return simulator


def format_amount(amount: int, currency: str) -> str:
    """`1999, "USD"` → `19.99 USD`; `1999, "JPY"` → `1,999 JPY`. Integer arithmetic only."""
    exponent = Currency.of(currency).exponent
    whole, fraction = divmod(abs(amount), 10**exponent)
    digits = f"{whole:,}" + (f".{fraction:0{exponent}d}" if exponent else "")
    return f"{'-' if amount < 0 else ''}{digits} {currency}"


PaymentId = Annotated[str, PathParameter(min_length=1, max_length=128)]


class SimulatorPagesController(Controller):
    path = "/simulator"
    include_in_schema = False
    dependencies = {"simulator": Provide(_simulator, sync_to_thread=False)}

    @get("/checkout/{payment_id:str}", media_type=MediaType.HTML)
    async def checkout_page(self, payment_id: PaymentId, bus: NamedDependency[MessageBus]) -> Response[str]:
        payment = await _simulated_payment(bus, payment_id)
        return _page(payment)

    @get("/checkout/{payment_id:str}/complete", media_type=MediaType.HTML)
    async def complete_page(
        self,
        payment_id: PaymentId,
        bus: NamedDependency[MessageBus],
        simulator: NamedDependency[SimulatorPaymentProvider],
    ) -> Response[str]:
        payment = await _simulated_payment(bus, payment_id)
        return _complete_page(payment, simulator.public_url)

    @post("/checkout/{payment_id:str}/pay", media_type=MediaType.HTML)
    async def pay(
        self,
        payment_id: PaymentId,
        bus: NamedDependency[MessageBus],
        simulator: NamedDependency[SimulatorPaymentProvider],
    ) -> Response[Any]:
        return await _press(bus, simulator, payment_id, "succeeded")

    @post("/checkout/{payment_id:str}/authorize", media_type=MediaType.HTML)
    async def authorize(
        self,
        payment_id: PaymentId,
        bus: NamedDependency[MessageBus],
        simulator: NamedDependency[SimulatorPaymentProvider],
    ) -> Response[Any]:
        return await _press(bus, simulator, payment_id, "authorized")

    @post("/checkout/{payment_id:str}/decline", media_type=MediaType.HTML)
    async def decline(
        self,
        payment_id: PaymentId,
        bus: NamedDependency[MessageBus],
        simulator: NamedDependency[SimulatorPaymentProvider],
    ) -> Response[Any]:
        return await _press(bus, simulator, payment_id, "failed")


async def _simulated_payment(bus: MessageBus, payment_id: str) -> PaymentView:
    payment = await bus.send(GetPayment(payment_id))
    if payment.provider != "simulator":  # the simulator must never settle another provider's payment
        raise PaymentNotFound(payment_id)
    return payment


async def _press(
    bus: MessageBus, simulator: SimulatorPaymentProvider, payment_id: str, outcome: PressOutcome
) -> Response[Any]:
    payment = await _simulated_payment(bus, payment_id)
    body = simulator.payment_event(payment.id, payment.amount, payment.currency, outcome)
    status = await simulator.deliver(body)
    if not 200 <= status < 300:
        return _page(payment, error=f"Our webhook endpoint answered HTTP {status}; nothing was paid.", status=502)
    # Decline sends the customer to the shop's cancel page when it has one, as hosted checkouts do; with no
    # shop to go back to, to our own page that shows the result.
    target = payment.return_url if outcome != "failed" else (payment.cancel_url or payment.return_url)
    if target is None or urlsplit(target).scheme not in ("http", "https"):
        target = f"/simulator/checkout/{payment.id}/complete"
    return Redirect(path=target, status_code=303)


def _complete_page(payment: PaymentView, public_url: str) -> Response[str]:
    if payment.status in _PAID:
        outcome = '<p class="final paid">Payment complete: paid.</p>'
    elif payment.status == "authorized":
        outcome = '<p class="final paid">Payment authorized: the funds are held until the shop captures them.</p>'
    elif payment.status == "failed":
        outcome = '<p class="final declined">Payment declined: nothing was paid.</p>'
    elif payment.status == "processing":
        checkout = f"/simulator/checkout/{escape(payment.id)}"
        outcome = f'<p class="final">Not paid yet: <a href="{checkout}">back to the checkout page</a>.</p>'
    else:
        outcome = f'<p class="final">This payment {escape(status_phrase(payment.status))}.</p>'
    status_path = f"/api/v1/orders/{quote(payment.order_id, safe='')}/payment-status"
    body = f"""{outcome}
<div class="amount">{escape(format_amount(payment.amount, payment.currency))}</div>
{_facts(payment)}
<p>The order system hears of it by its order callback, or asks
<a href="{escape(status_path)}"><code>GET {escape(status_path)}</code></a>
with the header <code>Authorization: Bearer &lt;API key&gt;</code>:</p>
<pre>curl {escape(public_url + status_path)} -H 'Authorization: Bearer $KEY'</pre>
<p class="note">The checkout named no <code>return_url</code>, so the simulator shows this page instead of sending
the customer back to a shop.</p>"""
    return _html_page("Payment complete", body, 200)


def _facts(payment: PaymentView) -> str:
    return (
        f"<dl><dt>Order</dt><dd>{escape(payment.order_id)}</dd><dt>Payment</dt><dd>{escape(payment.id)}</dd>"
        f"<dt>Status</dt><dd>{escape(payment.status)}</dd></dl>"
    )


def _page(payment: PaymentView, error: str | None = None, status: int = 200) -> Response[str]:
    base = f"/simulator/checkout/{escape(payment.id)}"
    if payment.status == "processing":
        # a manual-capture payment is authorized on the page, and captured later by the shop (API.md)
        press, label = ("authorize", "Authorize") if payment.capture == "manual" else ("pay", "Pay")
        actions = (
            f'<form method="post" action="{base}/{press}"><button class="pay" type="submit">{label}</button></form>'
            f'<form method="post" action="{base}/decline"><button class="decline" type="submit">Decline</button></form>'
        )
    else:
        actions = f'<p class="final">This payment {escape(status_phrase(payment.status))}.</p>'
    problem = f'<p class="error">{escape(error)}</p>' if error else ""
    main = f"""<div class="amount">{escape(format_amount(payment.amount, payment.currency))}</div>
{_facts(payment)}{problem}{actions}"""
    return _html_page("Simulator checkout", main, status)


def _html_page(title: str, main: str, status: int) -> Response[str]:
    """Every simulator page: the service's one stylesheet (html_pages.py), no inline style or script."""
    html = html_page(title, f"<h1>Payment simulator</h1>\n{main}", main_class="narrow simulator")
    return Response(html, media_type=MediaType.HTML, status_code=status, headers=_HEADERS)
