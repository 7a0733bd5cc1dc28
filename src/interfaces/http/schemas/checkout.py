"""POST /api/v1/orders/{order_id}/checkout."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from application.commands.checkout_order import CheckoutOrder
from domain.payments.payment import CaptureMode, CheckoutDetails
from interfaces.http.schemas.common import TEXT, Amount, Currency, Email, HttpUrl, Metadata, ProviderName
from interfaces.http.schemas.customer_facts import CountryCode, IpAddress, normalized_ip


class Customer(Struct, forbid_unknown_fields=True):
    email: Email | None = None
    name: Annotated[str, Meta(max_length=200, pattern=TEXT)] | None = None
    ip: IpAddress | None = None  # the customer's, as the order system saw it (risk checks)
    country: CountryCode | None = None  # ISO 3166 alpha-2 (risk checks)

    def __post_init__(self) -> None:
        self.ip = normalized_ip(self.ip)
        self.country = self.country.upper() if self.country else None


class CheckoutRequest(Struct, forbid_unknown_fields=True):
    """Only `amount` and `currency` are required; `provider` is a preference among the enabled providers."""

    amount: Amount
    currency: Currency
    customer: Customer | None = None
    provider: ProviderName | None = None
    return_url: HttpUrl | None = None
    cancel_url: HttpUrl | None = None
    callback_url: HttpUrl | None = None
    description: Annotated[str, Meta(max_length=1000, pattern=TEXT)] | None = None
    metadata: Metadata = {}
    # manual: the customer authorizes, the funds are held until captured (POST /payments/{id}/capture)
    capture: CaptureMode = CaptureMode.AUTOMATIC

    def __post_init__(self) -> None:
        self.currency = self.currency.upper()

    def to_command(self, order_id: str, actor: str) -> CheckoutOrder:
        customer = self.customer or Customer()
        details = CheckoutDetails(
            return_url=self.return_url,
            cancel_url=self.cancel_url,
            callback_url=self.callback_url,
            customer_email=customer.email,
            customer_name=customer.name,
            customer_ip=customer.ip,
            customer_country=customer.country,
            description=self.description,
            metadata=dict(self.metadata),
        )
        return CheckoutOrder(order_id, self.amount, self.currency, self.provider, details, actor, self.capture)
