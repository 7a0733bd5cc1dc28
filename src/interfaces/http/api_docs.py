"""The interactive API page at the OpenAPI path (`/schema`): Swagger UI from files shipped in this package.

Litestar's own render plugins load an unpinned script from cdn.jsdelivr.net and run inline scripts: a blank
page without internet, and a CSP that has to trust a CDN and inline code. This page links only files served
by this app under `/schema/assets/` (`static/`: a pinned swagger-ui-dist, see `static/swagger-ui/SOURCE.md`,
and the small script that starts it), so the docs CSP (`security_headers.DOCS_CSP`) allows 'self' and nothing
else. Each link carries a hash of the file, so the files are cached for a year and a changed file is fetched
again at once. Swagger UI used to be at `/schema/swagger` too: that path now redirects here.
"""

from __future__ import annotations

import hashlib
import html
from functools import cache
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_301_MOVED_PERMANENTLY

from interfaces.http.route_handlers import get

STATIC_DIR = Path(__file__).parent / "static"
ASSETS_PATH = "/assets"  # under the OpenAPI path
FORMER_PATH = "/swagger"  # where Swagger UI was until the page was served from here
ASSET_CACHE = CacheControlHeader(max_age=365 * 24 * 3600, public=True, immutable=True)

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{favicon}">
<link rel="stylesheet" href="{swagger_css}">
<link rel="stylesheet" href="{page_css}">
</head>
<body>
<noscript>This page needs JavaScript. The API's description: <a href="{openapi}">{openapi}</a>.</noscript>
<div id="swagger-ui"></div>
<script src="{swagger_js}"></script>
<script src="{page_js}" data-url="{openapi}"></script>
</body>
</html>
"""


@cache
def _version(name: str) -> str:
    """A short hash of a static file: it changes whenever the file does, so links to it can be cached long."""
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


class ApiDocsPage(OpenAPIRenderPlugin):
    """The docs page at the OpenAPI path's root, its static files, and the redirect from the former path."""

    def __init__(self) -> None:
        super().__init__(path="/")
        self._base = ""  # the OpenAPI path (OpenAPIConfig.path), set by receive_router before any request
        self._page: bytes | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if self._page is None:  # the same bytes on every request: built once
            self._page = self._build(openapi_schema["info"]["title"], self.get_openapi_json_route(request))
        return self._page

    def _build(self, title: str, openapi_url: str) -> bytes:
        def asset(name: str) -> str:
            return html.escape(f"{self._base}{ASSETS_PATH}/{name}?v={_version(name)}")

        return PAGE.format(
            title=html.escape(title),
            openapi=html.escape(openapi_url),
            favicon=asset("swagger-ui/favicon-32x32.png"),
            swagger_css=asset("swagger-ui/swagger-ui.css"),
            swagger_js=asset("swagger-ui/swagger-ui-bundle.js"),
            page_css=asset("api-docs.css"),
            page_js=asset("api-docs.js"),
        ).encode()

    def receive_router(self, router: Router) -> None:
        self._base = router.path.rstrip("/")
        page = self._base or "/"

        @get(FORMER_PATH, status_code=HTTP_301_MOVED_PERMANENTLY, sync_to_thread=False, include_in_schema=False)
        def former_swagger_page() -> Redirect:
            return Redirect(page, status_code=HTTP_301_MOVED_PERMANENTLY)

        router.register(former_swagger_page)
        router.register(
            create_static_files_router(
                ASSETS_PATH, directories=[STATIC_DIR], name="api-docs-assets", cache_control=ASSET_CACHE
            )
        )
