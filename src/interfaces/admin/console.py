"""The console's assembly: its router under /admin (with its own error pages and the `console` dependency), the
Jinja template engine with the console's filters, its stylesheet, and the helper every page renders through.

`create_app` (interfaces/http/app.py) mounts `console_router()` and passes `template_config()`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from litestar import Response, Router
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.params import PathParameter
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from interfaces.admin import formatting
from interfaces.admin.errors import console_error_page
from interfaces.admin.pages.api_keys import ApiKeysPages
from interfaces.admin.pages.overview import OverviewPage
from interfaces.admin.pages.payment import PaymentPages
from interfaces.admin.pages.reconciliation import ReconciliationPages
from interfaces.admin.pages.sign_in import SignInPages
from interfaces.admin.pages.transactions import TransactionsPages
from interfaces.admin.pages.webhooks import NotificationsPages, WebhookEventsPages
from interfaces.admin.session import new_token, provide_console
from interfaces.http.route_handlers import get

_HERE = Path(__file__).parent
STYLESHEET_PATH = "/admin/assets/console.css"
_STYLESHEET = (_HERE / "static" / "console.css").read_text(encoding="utf-8")


@get("/assets/console.css", media_type="text/css", include_in_schema=False)
async def stylesheet() -> Response[str]:
    return Response(_STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


@get("/{rest:path}", include_in_schema=False)
async def not_found(rest: Annotated[str, PathParameter()]) -> None:
    """Any other address under /admin: the console's own "not found" page, not the API's problem JSON."""
    raise NotFoundException(f"There is no console page at /admin{rest}.")


def console_router() -> Router:
    return Router(
        path="/admin",
        route_handlers=[
            SignInPages,
            OverviewPage,
            TransactionsPages,
            PaymentPages,
            WebhookEventsPages,
            NotificationsPages,
            ReconciliationPages,
            ApiKeysPages,
            stylesheet,
            not_found,
        ],
        dependencies={"console": Provide(provide_console)},
        exception_handlers={Exception: console_error_page},
        include_in_schema=False,
    )


def _engine(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    env.filters.update(
        money=formatting.money,
        when=formatting.when,
        badge=formatting.badge,
        label=formatting.label,
        major_units=formatting.major_units,
    )
    env.globals["stylesheet"] = STYLESHEET_PATH
    env.globals["new_form_key"] = new_token  # each action form gets its own one-time key (once.py)


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=_HERE / "templates", engine=JinjaTemplateEngine, engine_callback=_engine)
