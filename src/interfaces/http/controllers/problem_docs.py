"""GET /problems/{slug}: what each problem `type` URI points at, a short page for people."""

from __future__ import annotations

import re
from html import escape

from litestar import Controller, MediaType, Response
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from interfaces.http.html_pages import PAGE_CSP, html_page
from interfaces.http.problem_types import PROBLEM_TYPES
from interfaces.http.route_handlers import get

_MAIN = """<h1>{title}</h1>
<p><code>{slug}</code> &middot; HTTP {status}</p>
<p>{description}</p>
<p class="muted">Responses of this type are <code>application/problem+json</code> (RFC 9457) with <code>type</code>,
<code>title</code>, <code>status</code>, <code>detail</code>, <code>instance</code> and <code>request_id</code>.</p>"""
_HEADERS = {"Cache-Control": "public, max-age=86400", "Content-Security-Policy": PAGE_CSP}


_CODE = re.compile(r"`([^`]*)`")


def _html(text: str) -> str:
    return _CODE.sub(r"<code>\1</code>", escape(text))


class ProblemDocsController(Controller):
    path = "/problems"
    include_in_schema = False

    @get("/{slug:str}", media_type=MediaType.HTML)
    async def describe(self, slug: FromPath[str]) -> Response[str]:
        problem_type = PROBLEM_TYPES.get(slug)
        if problem_type is None:
            raise NotFoundException(f"no problem type {slug!r}")
        main = _MAIN.format(
            title=escape(problem_type.title),
            slug=escape(problem_type.slug),
            status=problem_type.status,
            description=_html(problem_type.description),
        )
        return Response(html_page(problem_type.title, main), media_type=MediaType.HTML, headers=_HEADERS)
