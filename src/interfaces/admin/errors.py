"""Errors in the console are pages that say what happened and what to do, never problem JSON.

The status and title come from the API's one exception mapping (interfaces/http/problems.py), so a refund the
domain refuses is a 409 or 422 here as it is there; the page adds the way back. Unexpected errors are logged
with the request id there, and the page shows only that id.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.response import Redirect, Template

from interfaces.admin.form_errors import FormNotUnderstood
from interfaces.admin.session import SignInRequired, signed_in_console
from interfaces.http.problems import render_problem
from interfaces.http.request_context import request_id_of

CONSOLE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HTML_HEADERS = {"Content-Security-Policy": CONSOLE_CSP}

_ADVICE = {
    401: "Sign in again with your API key.",
    403: "Your key may not do this. Ask an admin for a key with the scope it needs.",
    404: "Check the id, or find it through Transactions or Webhook events.",
    409: "The payment changed meanwhile. Open it again to see where it stands now.",
    422: "Correct the value and send the form again.",
    429: "Wait a little, then try again.",
    502: "The provider did not accept the request. Nothing was changed; try again later.",
    503: "A service this depends on is unavailable. Try again in a few seconds.",
}


def console_error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The exception handler of every console route."""
    if isinstance(exc, SignInRequired):
        return Redirect("/admin/login", status_code=303)
    if isinstance(exc, FormNotUnderstood):
        return error_page(request, 422, "The form has a mistake", str(exc), _ADVICE[422])
    problem, _ = render_problem(request, exc)  # logs 5xx with the request id, as the API does
    status = problem.status or 500
    advice = _ADVICE.get(status, "Try again. If it keeps happening, give this request id to whoever runs the service.")
    return error_page(request, status, problem.title or "Error", str(problem.detail or ""), advice)


def error_page(request: Request[Any, Any, Any], status: int, title: str, detail: str, advice: str) -> Template:
    context = {
        "status": status,
        "title": title,
        "detail": detail,
        "advice": advice,
        "request_id": request_id_of(request.scope),
        "console": signed_in_console(request),
    }
    return Template("error.html", context=context, status_code=status, headers=HTML_HEADERS)
