"""What the payment aggregate refuses, with the data to explain it."""

from domain.payments.status import PaymentStatus, status_phrase
from domain.shared.errors import BusinessRuleViolation, DomainError
from domain.shared.money import Money


class TransitionNotAllowed(DomainError):
    """The state machine has no such move (e.g. `failed` after `succeeded`): a stale or foreign event."""

    def __init__(self, payment_id: str, current: PaymentStatus, target: PaymentStatus) -> None:
        super().__init__(f"{payment_id} cannot move from {current} to {target}")
        self.payment_id, self.current, self.target = payment_id, current, target


class PaymentNotRefundable(BusinessRuleViolation):
    def __init__(self, payment_id: str, status: PaymentStatus) -> None:
        super().__init__(
            f"{payment_id} {status_phrase(status)}; only a succeeded or partially refunded payment can be refunded"
        )
        self.payment_id, self.status = payment_id, status


class RefundExceedsRefundable(BusinessRuleViolation):
    def __init__(self, payment_id: str, requested: Money, refundable: Money) -> None:
        if refundable.is_positive:
            message = (
                f"Requested {requested.amount} but only {refundable.amount} {refundable.currency} "
                f"remains refundable on {payment_id}"
            )
        else:
            message = f"Nothing remains refundable on {payment_id} (0 {refundable.currency})"
        super().__init__(message)
        self.payment_id, self.requested, self.refundable = payment_id, requested, refundable


class InvalidAmount(BusinessRuleViolation):
    def __init__(self, amount: int) -> None:
        super().__init__(f"amount must be a positive number of minor units, got {amount}")
        self.amount = amount


class RefundNotFound(DomainError):
    def __init__(self, payment_id: str, refund_id: str) -> None:
        super().__init__(f"{payment_id} has no refund {refund_id}")
        self.payment_id, self.refund_id = payment_id, refund_id


class OrderAlreadyPaid(BusinessRuleViolation):
    def __init__(self, order_id: str, payment_id: str) -> None:
        super().__init__(f"order {order_id} is already paid by {payment_id}")
        self.order_id, self.payment_id = order_id, payment_id


class CheckoutConflict(BusinessRuleViolation):
    def __init__(self, order_id: str, payment_id: str, open_amount: Money) -> None:
        super().__init__(
            f"order {order_id} has an open checkout {payment_id} for {open_amount}; "
            "a different amount or currency needs that checkout to end first"
        )
        self.order_id, self.payment_id, self.open_amount = order_id, payment_id, open_amount


class PaymentNotCapturable(BusinessRuleViolation):
    def __init__(self, payment_id: str, status: PaymentStatus, *, capture_pending: bool = False) -> None:
        why = "has a capture in progress already" if capture_pending else status_phrase(status)
        super().__init__(f"{payment_id} {why}; only an authorized payment can be captured")
        self.payment_id, self.status, self.capture_pending = payment_id, status, capture_pending


class CaptureExceedsAuthorized(BusinessRuleViolation):
    def __init__(self, payment_id: str, requested: Money, authorized: Money) -> None:
        super().__init__(f"Requested a capture of {requested.amount} but {payment_id} holds only {authorized}")
        self.payment_id, self.requested, self.authorized = payment_id, requested, authorized


class PaymentNotCancellable(BusinessRuleViolation):
    def __init__(
        self, payment_id: str, status: PaymentStatus, *, capture_pending: bool = False, completed: bool = False
    ) -> None:
        if capture_pending:
            why = "has a capture in progress; it can be cancelled once the provider has answered it"
        elif completed:  # still open here, but the provider says the customer finished the checkout a moment ago
            why = (
                "was just completed by the customer at the provider, whose news is on its way: a hold can be "
                "cancelled once it has arrived"
            )
        else:
            why = f"{status_phrase(status)}; only an open checkout or an authorization can be cancelled"
        super().__init__(f"{payment_id} {why} (a paid payment is refunded, not cancelled)")
        self.payment_id, self.status = payment_id, status


class PaymentNotReroutable(DomainError):
    """Only an open checkout that no provider has answered with a session may move to another provider."""

    def __init__(self, payment_id: str) -> None:
        super().__init__(f"{payment_id} has a checkout session or is no longer processing: it stays with its provider")
        self.payment_id = payment_id
