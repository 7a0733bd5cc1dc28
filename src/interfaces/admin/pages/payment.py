"""`/admin/payments/{id}`: the payment, its timeline, refunds, callbacks and webhook events; refund (with a
confirmation step), capture and cancel, each sent on the bus as the API sends it, with source `admin`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from application.bus import MessageBus
from application.commands.cancel_payment import CancelPayment
from application.commands.capture_payment import CapturePayment
from application.commands.refund_payment import RefundPayment
from application.queries.get_audit_trail import GetAuditTrail
from application.queries.get_payment import GetPayment
from application.queries.get_payment_messages import GetPaymentMessages
from domain.payments.refund import RefundReason
from interfaces.admin.form_errors import FormNotUnderstood
from interfaces.admin.formatting import money, parse_major_units
from interfaces.admin.notices import done, notice_for
from interfaces.admin.once import form_key, posted_action
from interfaces.admin.payment_model import actions_for
from interfaces.admin.render import page
from interfaces.admin.session import Console, posted_form
from interfaces.http.route_handlers import get, post

PaymentId = Annotated[str, PathParameter(min_length=1, max_length=64)]
REASONS = tuple(RefundReason)


class PaymentPages(Controller):
    path = "/payments"

    @get("/{payment_id:str}")
    async def payment(
        self,
        request: Request[Any, Any, Any],
        payment_id: PaymentId,
        bus: NamedDependency[MessageBus],
        console: NamedDependency[Console],
    ) -> Template:
        payment = await bus.send(GetPayment(payment_id))
        return page(
            "payment.html",
            console=console,
            nav="transactions",
            payment=payment,
            actions=actions_for(payment, console),
            timeline=await bus.send(GetAuditTrail(payment_id)),
            messages=await bus.send(GetPaymentMessages(payment_id)),
            reasons=REASONS,
            notice=notice_for(request.query_params.get("done")),
        )

    @post("/{payment_id:str}/refund/review", status_code=200)
    async def review_refund(
        self,
        request: Request[Any, Any, Any],
        payment_id: PaymentId,
        bus: NamedDependency[MessageBus],
        console: NamedDependency[Console],
    ) -> Template:
        fields = await posted_form(request, console)
        console.require("refunds:write")
        payment = await bus.send(GetPayment(payment_id))
        amount = parse_major_units(fields.get("amount", ""), payment.currency)
        reason = _reason(fields.get("reason", ""))
        return page(
            "refund_confirm.html",
            console=console,
            nav="transactions",
            payment=payment,
            amount=amount,
            amount_text=money(amount, payment.currency),
            reason=reason,
            form_key=form_key(fields),  # the refund form's key: confirmed twice (or back and again), refunds once
        )

    @post("/{payment_id:str}/refund", status_code=303)
    async def refund(
        self,
        request: Request[Any, Any, Any],
        payment_id: PaymentId,
        bus: NamedDependency[MessageBus],
        console: NamedDependency[Console],
    ) -> Redirect:

        async def refund(fields: Mapping[str, str]) -> object:
            amount, reason = _minor_units(fields.get("amount", "")), _reason(fields.get("reason", ""))
            return await bus.send(RefundPayment(payment_id, amount, reason, actor=console.actor, source="admin"))

        outcome = await posted_action(request, console, "refunds:write", refund)
        return _back(payment_id, done("refund", outcome))

    @post("/{payment_id:str}/capture", status_code=303)
    async def capture(
        self,
        request: Request[Any, Any, Any],
        payment_id: PaymentId,
        bus: NamedDependency[MessageBus],
        console: NamedDependency[Console],
    ) -> Redirect:
        command = CapturePayment(payment_id, actor=console.actor, source="admin")
        outcome = await posted_action(request, console, "payments:write", lambda _: bus.send(command))
        return _back(payment_id, done("capture", outcome))

    @post("/{payment_id:str}/cancel", status_code=303)
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        payment_id: PaymentId,
        bus: NamedDependency[MessageBus],
        console: NamedDependency[Console],
    ) -> Redirect:
        command = CancelPayment(payment_id, actor=console.actor, source="admin")
        outcome = await posted_action(request, console, "payments:write", lambda _: bus.send(command))
        return _back(payment_id, done("cancel", outcome))


def _minor_units(text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise FormNotUnderstood("The amount to refund is missing; review the refund again.")
    return int(text)


def _reason(text: str) -> RefundReason:
    try:
        return RefundReason(text or RefundReason.REQUESTED_BY_CUSTOMER.value)
    except ValueError:
        raise FormNotUnderstood(f"Reason: choose one of {', '.join(REASONS)}.") from None


def _back(payment_id: str, code: str) -> Redirect:
    return Redirect(f"/admin/payments/{quote(payment_id, safe='')}?done={code}", status_code=303)
