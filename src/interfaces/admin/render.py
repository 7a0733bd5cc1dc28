"""The helper every console page renders through: the template, its context, the console's strict CSP."""

from __future__ import annotations

from typing import Any

from litestar.response import Template

from interfaces.admin.errors import HTML_HEADERS


def page(name: str, status_code: int = 200, **context: Any) -> Template:
    return Template(name, context=context, status_code=status_code, headers=HTML_HEADERS)
