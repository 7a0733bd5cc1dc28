"""OpenAPI documentation helpers: the problem schema and the security schemes."""

from __future__ import annotations

from http import HTTPStatus

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme
from msgspec import Struct

from interfaces.http.problems import PROBLEM_JSON

SECURITY: list[SecurityRequirement] = [{"bearer": []}, {"api_key": []}]

COMPONENTS = Components(
    security_schemes={
        "bearer": SecurityScheme(type="http", scheme="bearer", description="`Authorization: Bearer <api key>`"),
        "api_key": SecurityScheme(type="apiKey", name="X-API-Key", security_scheme_in="header"),
    }
)


class ValidationIssue(Struct, kw_only=True, omit_defaults=True):
    detail: str
    pointer: str | None = None
    parameter: str | None = None


class ProblemDetails(Struct, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details; `type` ends in `/problems/<slug>`, described at `GET /problems/<slug>`."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str
    errors: list[ValidationIssue] | None = None


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """Problem responses for `statuses`, plus the 400 and 500 any route can answer (and Litestar would
    otherwise document in its own, non-problem shape)."""
    return {
        status: ResponseSpec(
            ProblemDetails, description=HTTPStatus(status).phrase, media_type=PROBLEM_JSON, generate_examples=False
        )
        for status in sorted({400, 500, *statuses})
    }
