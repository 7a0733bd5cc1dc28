"""Capture a held payment, or cancel one that has not taken money (scope `payments:write`, like checkout)."""

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
from interfaces.http.schemas.payment_actions import CancelRequest, CaptureRequest
from interfaces.http.schemas.payments import PaymentDetailResponse


class PaymentActionsController(Controller):
    path = "/api/v1/payments"
    tags = ["payments"]
    guards = [requires("payments:write")]
    security = SECURITY

    @post(
        "/{payment_id:str}/capture",
        dto=StrictJson[CaptureRequest],
        return_dto=None,
        status_code=200,
        summary="Capture an authorized payment, in full or in part",
        description="`succeeded` with `amount_captured` once the provider confirmed in the call; a provider that "
        "confirms later (or does not answer in time) leaves it `authorized` with `capture_pending: true`, settled by "
        "its webhook or the janitor. The capture is never sent twice.",
        operation_class=IdempotencyKeyRequiredOperation,
        responses={
            200: success(PaymentDetailResponse, "The payment after the capture"),
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
                    409: "`payment-not-capturable` (not authorized, already captured, or a capture is in flight), "
                    f"or {KEY_IN_USE}",
                    422: f"`capture-exceeds-authorized`, `validation-error`, or {KEY_REUSED}",
                },
            ),
        },
    )
    async def capture(
        self,
        request: Request[Any, Any, Any],
        payment_id: PaymentId,
        bus: NamedDependency[MessageBus],
        idempotency_key: IdempotencyKey = None,
        data: JSONBody[CaptureRequest | None] = None,
    ) -> Response[Any]:
        caller = caller_of(request)
        command = (data or CaptureRequest()).to_command(payment_id, actor=caller.name)

        async def run() -> JsonResult:
            return JsonResult(200, PaymentDetailResponse.from_view(await bus.send(command)))

        return await idempotent(request, caller, idempotency_key, run, required=True)

    @post(
        "/{payment_id:str}/cancel",
        dto=StrictJson[CancelRequest],
        return_dto=None,
        status_code=200,
        summary="Cancel an open checkout or void an authorization",
        description="A cancelled payment answers 200 again and changes nothing; a paid one is refunded instead "
        "(`409 payment-not-cancellable`).",
        responses={
            200: success(PaymentDetailResponse, "The cancelled payment"),
            **problem_responses(
                401,
                403,
                404,
                409,
                415,
                422,
                502,
                503,
                described={
                    409: "`payment-not-cancellable` (it took money: refund it instead; or a capture is in flight), "
                    f"or {KEY_IN_USE}",
                    422: f"`validation-error`, or {KEY_REUSED}",
                },
            ),
        },
    )
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        payment_id: PaymentId,
        bus: NamedDependency[MessageBus],
        idempotency_key: IdempotencyKey = None,
        data: JSONBody[CancelRequest | None] = None,
    ) -> Response[Any]:
        caller = caller_of(request)
        command = (data or CancelRequest()).to_command(payment_id, actor=caller.name)

        async def run() -> JsonResult:
            return JsonResult(200, PaymentDetailResponse.from_view(await bus.send(command)))

        return await idempotent(request, caller, idempotency_key, run, required=False)
