"""What the HTTP layer takes from the composition root, resolved on first use and kept for the app's life.

The container's providers are singletons already; caching them here saves a provider call per request on the
hot paths (authentication, idempotency, the bus).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection

    from application.bus import MessageBus
    from application.ports.api_keys import ApiKeyStore
    from application.ports.clock import Clock
    from application.ports.idempotency import IdempotencyStore
    from application.ports.payment_provider import PaymentProviders
    from infrastructure.container import Container
    from infrastructure.settings import Settings


class Services:
    def __init__(self, container: Container, settings: Settings) -> None:
        self.container, self.settings = container, settings

    @cached_property
    def bus(self) -> MessageBus:
        bus: MessageBus = self.container.bus()
        return bus

    @cached_property
    def api_keys(self) -> ApiKeyStore:
        store: ApiKeyStore = self.container.api_keys()
        return store

    @cached_property
    def idempotency(self) -> IdempotencyStore:
        store: IdempotencyStore = self.container.idempotency()
        return store

    @cached_property
    def clock(self) -> Clock:
        clock: Clock = self.container.clock()
        return clock

    @cached_property
    def payment_providers(self) -> PaymentProviders:
        providers: PaymentProviders = self.container.payment_providers()
        return providers


def services_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Services:
    services: Services = connection.app.state.services
    return services
