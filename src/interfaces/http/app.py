"""The Litestar application factory: routes, dependencies, problem mapping, request context, OpenAPI.

`create_app(settings)` builds the composition root unless one is given (tests pass their own); the lifespan
reads the migration head once and closes what the container opened. `create_app_from_env` is the uvicorn
factory (`uvicorn --factory interfaces.http.app:create_app_from_env`).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.types import ControllerRouterHandler

from infrastructure.container import Container, build_container, close_resources, open_resources
from infrastructure.settings import Settings, load_settings
from infrastructure.worker.assembly import build_worker
from interfaces.admin.console import console_router, template_config
from interfaces.http.api_docs import ApiDocsPage
from interfaces.http.controllers.checkout import CheckoutController
from interfaces.http.controllers.metrics import MetricsController
from interfaces.http.controllers.notifications import NotificationsController
from interfaces.http.controllers.operations import OperationsController
from interfaces.http.controllers.pages import PagesController
from interfaces.http.controllers.payment_actions import PaymentActionsController
from interfaces.http.controllers.payments import PaymentsController
from interfaces.http.controllers.problem_docs import ProblemDocsController
from interfaces.http.controllers.reconciliation import ReconciliationController
from interfaces.http.controllers.refunds import RefundsController
from interfaces.http.controllers.transactions import TransactionsController
from interfaces.http.controllers.webhook_events import WebhookEventsController
from interfaces.http.controllers.webhooks import webhooks_controller
from interfaces.http.edge import EdgeMiddleware
from interfaces.http.openapi import COMPONENTS, ClosedStructSchemaPlugin
from interfaces.http.problems import problem_response
from interfaces.http.rate_limiting import RateLimits
from interfaces.http.readiness import Readiness
from interfaces.http.status_fast_path import StatusReadFastPath
from interfaces.log_redaction import configured_secrets
from interfaces.logging_setup import configure_logging


def create_app(settings: Settings, container: Container | None = None, *, run_worker: bool = False) -> Litestar:
    container = container if container is not None else build_container(settings)
    problem_type_base = settings.public_url.rstrip("/") + "/problems/"
    readiness = Readiness(container, settings)
    app = Litestar(
        route_handlers=_routes(settings),
        plugins=[ClosedStructSchemaPlugin()],  # request bodies documented as closed, as the app enforces
        dependencies=_dependencies(container, settings),
        exception_handlers={Exception: problem_response},
        template_config=template_config(),  # the admin console's pages (interfaces/admin)
        lifespan=[_lifespan(container, readiness, run_worker=run_worker)],
        state=State(
            {
                "container": container,  # root.py: what guards and routes ask for
                "readiness": readiness,
                "problem_type_base": problem_type_base,
                "rate_limits": RateLimits(container.rate_limiter(), settings),  # read by the guards
            }
        ),
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Payments",
            version="1.0.0",
            description="Hosted checkout, verified provider webhooks, refunds and signed order callbacks.",
            path="/schema",
            components=COMPONENTS,
            render_plugins=[ApiDocsPage()],  # Swagger UI from files shipped in the package, no CDN
        ),
        logging_config=None,  # the process (CLI) configures logging; problems.py logs errors with request ids
        debug=False,
    )
    # Inside the edge: ordinary polls of an order's payment status skip Litestar's per-request machinery.
    app.asgi_handler = StatusReadFastPath(app.asgi_handler, container.bus)
    # Around Litestar's router and exception handling: every response (404s, problems, 429s included) gets the
    # request id, the RateLimit-* headers of the guards' decision and the security headers; every request is
    # counted, timed and logged with its ids.
    app.asgi_handler = EdgeMiddleware(
        app.asgi_handler,
        metrics=container.metrics(),
        https=settings.public_url.startswith("https://"),
        problem_type_base=problem_type_base,  # for the 431 it answers itself, before routing
    )
    # Outermost, with tracing on: each request's server span (the app unchanged when tracing is off)
    app.asgi_handler = container.tracing().asgi(app.asgi_handler)
    return app


def _dependencies(container: Container, settings: Settings) -> dict[str, Provide]:
    # The bus is built on first use, not here: /ready must still answer when a provider is misconfigured.
    return {
        "container": Provide(lambda: container, sync_to_thread=False),
        "bus": Provide(lambda: container.bus(), sync_to_thread=False),
        "settings": Provide(lambda: settings, sync_to_thread=False),
    }


def _lifespan(
    container: Container, readiness: Readiness, *, run_worker: bool
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        worker = build_worker(container) if run_worker else None
        worker_task = asyncio.create_task(worker.run(), name="in-process-worker") if worker else None
        feed = container.payment_change_feed()  # None on SQLite or with the status cache off
        open_resources(container)
        try:
            await readiness.load_head()
            if feed is not None:
                await feed.start()  # connects in the background; until it listens, status reads go to the store
            _freeze_startup_objects()
            yield
        finally:
            if worker is not None and worker_task is not None:
                worker.stop()  # finishes the batch in progress and releases its leases
                await worker_task
            await close_resources(container)

    return lifespan


def _freeze_startup_objects() -> None:
    """Moves everything built at start-up (routes, OpenAPI, SQLAlchemy metadata, providers) out of the cyclic
    garbage collector's reach. Without it each full collection re-scans that whole heap: the benchmark saw
    generation-2 pauses of 30-110 ms, which were most of the p99 latency of every scenario."""
    gc.collect()
    gc.freeze()


def create_app_from_env() -> Litestar:
    """The uvicorn factory: each worker process reads the environment and configures its own logging."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format, secrets=configured_secrets(settings))
    # development: one command gives a working service, background loops included (API.md, Command line)
    return create_app(settings, run_worker=settings.worker_in_process)


def _routes(settings: Settings) -> list[ControllerRouterHandler]:
    routes: list[ControllerRouterHandler] = [
        CheckoutController,
        PaymentsController,
        RefundsController,
        PaymentActionsController,
        TransactionsController,
        NotificationsController,
        ReconciliationController,
        WebhookEventsController,
        webhooks_controller(settings.max_body_bytes),
        OperationsController,
        MetricsController,
        ProblemDocsController,
        PagesController,
        console_router(),
    ]
    if "simulator" in settings.providers:
        from interfaces.http.controllers.simulator_pages import SimulatorPagesController

        routes.append(SimulatorPagesController)
    return routes


__all__ = ["create_app", "create_app_from_env"]
