"""Refunds: `Idempotency-Key` required, answered 202 with the (usually pending) refund."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import JSONBody

from application.bus import MessageBus
from interfaces.http.auth import caller_of, requires
from interfaces.http.controllers.payments import PaymentId
from interfaces.http.idempotency import IdempotencyKey, JsonResult, idempotent
from interfaces.http.json_body import StrictJson
from interfaces.http.openapi import (
    KEY_IN_USE,
    KEY_REUSED,
    SECURITY,
    IdempotencyKeyRequiredOperation,
    problem_responses,
    success,
)
from interfaces.http.route_handlers import post
from interfaces.http.schemas.refunds import RefundRequest, RefundResponse


class RefundsController(Controller):
    path = "/api/v1/payments"
    tags = ["refunds"]
    # on the controller, not the handler, so Litestar's automatic OPTIONS is guarded like the route
    guards = [requires("refunds:write")]
    security = SECURITY

    @post(
        "/{payment_id:str}/refund",
        dto=StrictJson[RefundRequest],
        return_dto=None,
        status_code=202,
        summary="Refund all or part of a payment",
        operation_class=IdempotencyKeyRequiredOperation,
        responses={
            202: success(RefundResponse, "The refund, usually `pending` until the provider settles"),
            **problem_responses(
                400,
                401,
                403,
                404,
                409,
                415,
                422,
                502,
                503,
                described={
                    400: "`idempotency-key-required`, or the request is malformed",
                    409: f"`payment-not-refundable` (its status allows no refund), or {KEY_IN_USE}",
                    422: f"`refund-exceeds-available`, `validation-error`, or {KEY_REUSED}",
                },
            ),
        },
    )
    async def refund(
        self,
        request: Request[Any, Any, Any],
        payment_id: PaymentId,
        bus: NamedDependency[MessageBus],
        idempotency_key: IdempotencyKey = None,
        data: JSONBody[RefundRequest | None] = None,
    ) -> Response[Any]:
        caller = caller_of(request)
        body = data or RefundRequest()

        async def run() -> JsonResult:
            refund = await bus.send(body.to_command(payment_id, actor=caller.name))
            return JsonResult(202, RefundResponse.from_view(refund))

        return await idempotent(request, caller, idempotency_key, run, required=True)
