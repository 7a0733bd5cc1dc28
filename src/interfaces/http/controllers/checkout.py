"""Order systems start a checkout here."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from application.bus import MessageBus
from interfaces.http.auth import caller_of, requires
from interfaces.http.idempotency import IdempotencyKey, JsonResult, idempotent
from interfaces.http.json_body import StrictJson
from interfaces.http.openapi import KEY_IN_USE, KEY_REUSED, SECURITY, problem_responses, success
from interfaces.http.route_handlers import post
from interfaces.http.schemas.checkout import CheckoutRequest
from interfaces.http.schemas.common import ORDER_ID_PATTERN
from interfaces.http.schemas.payments import PaymentResponse

OrderId = Annotated[  # the pattern is also checked by status_fast_path.py, before the route
    str,
    PathParameter(
        pattern=ORDER_ID_PATTERN, description="The order system's id (1-128 of A-Z a-z 0-9 . _ : -; not `.` or `..`)"
    ),
]


class CheckoutController(Controller):
    path = "/api/v1/orders"
    tags = ["orders"]
    # on the controller, not the handler, so Litestar's automatic OPTIONS is guarded like the route
    guards = [requires("payments:write")]
    security = SECURITY

    @post(
        "/{order_id:str}/checkout",
        dto=StrictJson[CheckoutRequest],
        return_dto=None,
        status_code=201,
        summary="Start (or hand back) the order's checkout",
        responses={
            201: success(PaymentResponse, "Checkout created; `Location` names the payment"),
            200: success(PaymentResponse, "The order's open checkout, same amount and currency"),
            **problem_responses(
                400,
                401,
                403,
                409,
                415,
                422,
                502,
                503,
                described={
                    409: f"`order-already-paid`, `checkout-conflict` (another amount or currency), or {KEY_IN_USE}",
                    422: "`capture-not-supported` (manual capture on a provider that cannot hold funds), "
                    "`payment-blocked` (the risk check blocked it; `reasons` lists the rules), "
                    f"`unsupported-currency`, `provider-not-enabled`, `validation-error`, or {KEY_REUSED}",
                },
            ),
        },
    )
    async def checkout(
        self,
        request: Request[Any, Any, Any],
        order_id: OrderId,
        data: JSONBody[CheckoutRequest],
        bus: NamedDependency[MessageBus],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Any]:
        caller = caller_of(request)

        async def run() -> JsonResult:
            result = await bus.send(data.to_command(order_id, actor=caller.name))
            payment = result.payment
            return JsonResult(201 if result.created else 200, PaymentResponse.from_view(payment), _location(payment.id))

        return await idempotent(request, caller, idempotency_key, run, required=False)


def _location(payment_id: str) -> str:
    return f"/api/v1/payments/{payment_id}"
