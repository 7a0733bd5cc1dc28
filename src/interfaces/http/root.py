"""The composition root as the HTTP layer reaches it: kept on the app's state by `create_app`, asked for what a
route or guard needs (its providers are singletons, so asking costs a dictionary lookup)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection

    from infrastructure.container import Container


def root_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Container:
    container: Container = connection.app.state.container
    return container
