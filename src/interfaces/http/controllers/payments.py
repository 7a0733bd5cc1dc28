"""Reading payments: an order's latest payment, one payment with its refunds, a payment's audit trail."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller
from litestar.di import NamedDependency
from litestar.params import PathParameter

from application.bus import MessageBus
from application.queries.get_audit_trail import GetAuditTrail
from application.queries.get_payment import GetPayment
from application.queries.get_payment_status import GetPaymentStatus
from interfaces.http.auth import requires
from interfaces.http.controllers.checkout import OrderId
from interfaces.http.openapi import SECURITY, problem_responses
from interfaces.http.route_handlers import get
from interfaces.http.schemas.payments import (
    AuditEntryResponse,
    AuditTrailResponse,
    PaymentDetailResponse,
    PaymentStatusResponse,
)

READ_SCOPE = "payments:read"  # also checked by status_fast_path.py, before the route
PaymentId = Annotated[str, PathParameter(min_length=1, max_length=128, description="`pay_…`")]


class PaymentsController(Controller):
    path = "/api/v1"
    tags = ["payments"]
    guards = [requires(READ_SCOPE)]
    security = SECURITY

    @get(
        "/orders/{order_id:str}/payment-status",
        summary="The order's latest payment",
        responses=problem_responses(401, 403, 404, 422),
    )
    async def payment_status(self, order_id: OrderId, bus: NamedDependency[MessageBus]) -> PaymentStatusResponse:
        return PaymentStatusResponse.from_view(await bus.send(GetPaymentStatus(order_id)))

    @get(
        "/payments/{payment_id:str}",
        summary="A payment with its refunds",
        responses=problem_responses(401, 403, 404, 422),
    )
    async def payment(self, payment_id: PaymentId, bus: NamedDependency[MessageBus]) -> PaymentDetailResponse:
        return PaymentDetailResponse.from_view(await bus.send(GetPayment(payment_id)))

    @get(
        "/payments/{payment_id:str}/events",
        summary="The payment's audit trail, oldest first",
        responses=problem_responses(401, 403, 404, 422),
    )
    async def events(self, payment_id: PaymentId, bus: NamedDependency[MessageBus]) -> AuditTrailResponse:
        entries = await bus.send(GetAuditTrail(payment_id))
        return AuditTrailResponse(data=[AuditEntryResponse.from_view(entry) for entry in entries])
