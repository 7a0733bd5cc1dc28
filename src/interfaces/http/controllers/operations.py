"""Health and readiness for orchestrators (no authentication)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response
from litestar.openapi.datastructures import ResponseSpec
from rfc9457 import Problem

from interfaces.http.head_responses import WithoutBody
from interfaces.http.problem_types import SERVICE_UNAVAILABLE
from interfaces.http.problems import PROBLEM_JSON, problem_document
from interfaces.http.readiness import Readiness, failures
from interfaces.http.request_context import request_id_of
from interfaces.http.route_handlers import get, head
from interfaces.http.schemas.operations import HealthResponse, ReadinessResponse


class OperationsController(Controller):
    tags = ["operations"]

    @get("/health", summary="Alive")
    async def health(self) -> HealthResponse:
        return HealthResponse()

    @get(
        "/ready",
        summary="Ready to serve: database, migrations at head, broker, provider configuration",
        responses={
            200: ResponseSpec(ReadinessResponse, description="Ready", generate_examples=False),
            503: ResponseSpec(
                ReadinessResponse,
                media_type=PROBLEM_JSON,
                description="Not ready: a service-unavailable problem that also carries `checks`",
                generate_examples=False,
            ),
        },
    )
    async def ready(self, request: Request[Any, Any, Any]) -> Response[Any]:
        return await _readiness_answer(request)

    # HEAD answers like GET without a body (load balancers and uptime checks often probe with HEAD).
    @head("/health", include_in_schema=False)
    async def health_head(self) -> Response[None]:
        return WithoutBody(Response(HealthResponse()))

    @head("/ready", include_in_schema=False)
    async def ready_head(self, request: Request[Any, Any, Any]) -> Response[None]:
        return WithoutBody(await _readiness_answer(request))


async def _readiness_answer(request: Request[Any, Any, Any]) -> Response[Any]:
    """200 with the checks, or a 503 service-unavailable problem that also carries them (GET; HEAD without body)."""
    readiness: Readiness = request.app.state.readiness
    result = await readiness.check()
    if result.status == "ok":
        return Response(result)
    problem = Problem(
        SERVICE_UNAVAILABLE.title,
        type_=SERVICE_UNAVAILABLE.slug,
        detail=f"The service is not ready: {failures(result.checks)}",
        status=SERVICE_UNAVAILABLE.status,
    )
    document = problem_document(
        problem,
        type_base=request.app.state.get("problem_type_base", "/problems/"),
        instance=request.scope["path"],
        request_id=request_id_of(request.scope),
    )
    document["checks"] = msgspec.to_builtins(result.checks)
    return Response(document, status_code=503, media_type=PROBLEM_JSON, headers={"Retry-After": "5"})
