"""The exception → problem mapping as one table: every row of API.md's problem table, through `problem_for`."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from litestar.exceptions import (
    ClientException,
    HTTPException,
    InternalServerException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ServiceUnavailableException,
    TooManyRequestsException,
    ValidationException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

import domain.payments.errors as payment_errors
from application.errors import (
    CallbackUrlRefused,
    CaptureNotSupported,
    ConcurrentUpdate,
    IdempotencyKeyInUse,
    IdempotencyKeyReuse,
    InvalidCursor,
    InvalidSignature,
    LivePaymentExists,
    MalformedWebhook,
    NotificationNotFound,
    PaymentNotFound,
    ProviderError,
    ProviderNotEnabled,
    ProviderUnavailable,
    StoreUnavailable,
    TransactionNotFound,
    UnknownProvider,
    UnsupportedCurrency,
    WebhookBodyPurged,
    WebhookEventNotFound,
)
from domain.payments.errors import (
    CaptureExceedsAuthorized,
    CheckoutConflict,
    InvalidAmount,
    OrderAlreadyPaid,
    PaymentNotCancellable,
    PaymentNotCapturable,
    PaymentNotRefundable,
    RefundExceedsRefundable,
    TransitionNotAllowed,
)
from domain.payments.risk import PaymentBlocked, RiskAssessment, RiskDecision
from domain.payments.status import PaymentStatus
from domain.shared.errors import BusinessRuleViolation
from domain.shared.money import Money, UnknownCurrency
from interfaces.http.errors import IdempotencyKeyRequired, InvalidParameter, UnsupportedMediaType
from interfaces.http.problem_types import PROBLEM_TYPES
from interfaces.http.problems import PROBLEMS, problem_document, problem_for

USD = Money.of

# error → (status, slug, title, headers beyond the body)
# fmt: off
TABLE: list[tuple[BaseException, int, str, str, dict[str, str]]] = [
    # domain
    (PaymentNotRefundable("pay_1", PaymentStatus.PROCESSING), 409, "payment-not-refundable", "Payment cannot be refunded", {}),
    (RefundExceedsRefundable("pay_1", USD(5000, "USD"), USD(2500, "USD")), 422, "refund-exceeds-available", "Refund exceeds the refundable amount", {}),
    (OrderAlreadyPaid("o-1", "pay_1"), 409, "order-already-paid", "Order already paid", {}),
    (CheckoutConflict("o-1", "pay_1", USD(100, "USD")), 409, "checkout-conflict", "Checkout conflict", {}),
    (InvalidAmount(-1), 422, "validation-error", "Validation failed", {}),
    (UnknownCurrency("XYZ"), 422, "validation-error", "Validation failed", {}),
    (TransitionNotAllowed("pay_1", PaymentStatus.SUCCEEDED, PaymentStatus.FAILED), 409, "transition-not-allowed", "Transition not allowed", {}),
    (PaymentNotCapturable("pay_1", PaymentStatus.SUCCEEDED), 409, "payment-not-capturable", "Payment not capturable", {}),
    (CaptureExceedsAuthorized("pay_1", USD(5000, "USD"), USD(2500, "USD")), 422, "capture-exceeds-authorized", "Capture exceeds the authorized amount", {}),
    (PaymentNotCancellable("pay_1", PaymentStatus.REFUNDED), 409, "payment-not-cancellable", "Payment not cancellable", {}),
    (PaymentBlocked("o-1", RiskAssessment(RiskDecision.BLOCK, 90, ("big-usd",))), 422, "payment-blocked", "Payment blocked", {}),
    (CaptureNotSupported("paystack", ["stripe"]), 422, "capture-not-supported", "Capture not supported", {}),
    # application
    (PaymentNotFound("pay_1"), 404, "payment-not-found", "Payment not found", {}),
    (TransactionNotFound("re_1"), 404, "transaction-not-found", "Transaction not found", {}),
    (WebhookEventNotFound("whe_1"), 404, "webhook-event-not-found", "Webhook event not found", {}),
    (WebhookBodyPurged("whe_1"), 409, "webhook-body-purged", "Webhook body purged", {}),
    (NotificationNotFound("ntf_1"), 404, "notification-not-found", "Notification not found", {}),
    (UnsupportedCurrency("XOF", ["stripe"]), 422, "unsupported-currency", "Unsupported currency", {}),
    (ProviderNotEnabled("stripe", ["simulator"]), 422, "provider-not-enabled", "Provider not enabled", {}),
    (UnknownProvider("acme"), 404, "unknown-provider", "Unknown provider", {}),
    (InvalidSignature("stripe", "no v1 signature matches"), 400, "invalid-signature", "Invalid webhook signature", {}),
    (MalformedWebhook("stripe", "unreadable body"), 400, "malformed-webhook", "Malformed webhook", {}),
    (ProviderError("stripe", "card_declined", 402), 502, "provider-error", "Payment provider error", {}),
    (ProviderUnavailable("stripe", "timeout", retry_after=30), 503, "provider-unavailable", "Payment provider unavailable", {"Retry-After": "30"}),
    (StoreUnavailable("connection refused", retry_after=7), 503, "service-unavailable", "Service unavailable", {"Retry-After": "7"}),
    (ConcurrentUpdate("pay_1"), 409, "concurrent-update", "Concurrent update", {}),
    (LivePaymentExists("o-1"), 409, "checkout-conflict", "Checkout conflict", {}),
    (IdempotencyKeyReuse("k"), 422, "idempotency-key-reuse", "Idempotency-Key reused", {}),
    (IdempotencyKeyInUse("k"), 409, "idempotency-key-in-use", "Idempotency-Key in use", {}),
    (InvalidCursor("bad cursor"), 422, "validation-error", "Validation failed", {}),
    (CallbackUrlRefused("the address 10.0.0.5 is not public (private)"), 422, "validation-error", "Validation failed", {}),
    # HTTP layer
    (IdempotencyKeyRequired(), 400, "idempotency-key-required", "Idempotency-Key required", {}),
    (InvalidParameter("Idempotency-Key", "too long"), 422, "validation-error", "Validation failed", {}),
    (UnsupportedMediaType("text/plain"), 415, "unsupported-media-type", "Unsupported media type", {}),
    (msgspec.DecodeError("Input data was truncated"), 400, "malformed-request", "Malformed request", {}),
    (msgspec.ValidationError("Expected `int` >= 1 - at `$.amount`"), 422, "validation-error", "Validation failed", {}),
    # framework
    (ValidationException(extra=[{"message": "Expected `int` >= 1", "key": "limit", "source": "query"}]), 422, "validation-error", "Validation failed", {}),
    (ClientException("Invalid content-length"), 400, "malformed-request", "Malformed request", {}),
    (NotAuthorizedException(), 401, "unauthenticated", "Authentication required", {"WWW-Authenticate": "Bearer"}),
    (PermissionDeniedException(), 403, "forbidden", "Forbidden", {}),
    (NotFoundException(), 404, "not-found", "Not found", {}),
    (MethodNotAllowedException(headers={"allow": "OPTIONS, GET"}), 405, "method-not-allowed", "Method not allowed", {"Allow": "OPTIONS, GET"}),
    (RequestEntityTooLarge(), 413, "payload-too-large", "Payload too large", {}),
    (HTTPException(status_code=415), 415, "unsupported-media-type", "Unsupported media type", {}),
    (TooManyRequestsException(headers={"Retry-After": "12"}), 429, "rate-limited", "Too many requests", {"Retry-After": "12"}),
    (TooManyRequestsException(), 429, "rate-limited", "Too many requests", {"Retry-After": "1"}),
    (ServiceUnavailableException(), 503, "service-unavailable", "Service unavailable", {"Retry-After": "5"}),
    (InternalServerException(), 500, "internal-error", "Internal error", {}),
    (RuntimeError("SELECT secret FROM keys"), 500, "internal-error", "Internal error", {}),
    (KeyError("api_key=sk_live_123"), 500, "internal-error", "Internal error", {}),
]
# fmt: on


@pytest.mark.parametrize(
    ("error", "status", "slug", "title", "headers"), TABLE, ids=[type(row[0]).__name__ for row in TABLE]
)
def test_error_maps_to_its_problem(
    error: BaseException, status: int, slug: str, title: str, headers: dict[str, str]
) -> None:
    problem = problem_for(error)
    assert (problem.status, problem.type, problem.title) == (status, slug, title)
    assert dict(problem.headers or {}) == headers
    assert slug in PROBLEM_TYPES
    assert problem.detail


def test_the_table_covers_every_mapped_exception_type() -> None:
    assert {type(row[0]) for row in TABLE} >= set(PROBLEMS)


def test_every_business_rule_violation_is_a_4xx() -> None:
    rules = [
        v
        for v in vars(payment_errors).values()
        if isinstance(v, type) and issubclass(v, BusinessRuleViolation) and v is not BusinessRuleViolation
    ]
    assert rules
    for rule in rules:
        assert rule in PROBLEMS, f"{rule.__name__} has no problem type (it would be a 500)"
        assert 400 <= PROBLEMS[rule].status < 500


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (msgspec.ValidationError("Expected `int` >= 1 - at `$.amount`"), {"pointer": "/amount"}),
        (
            msgspec.ValidationError("Expected `str` matching regex 'x' - at `$.customer.email`"),
            {"pointer": "/customer/email"},
        ),
        (msgspec.ValidationError("Expected `str` of length <= 5 - at `$.metadata[...]`"), {"pointer": "/metadata"}),
        (msgspec.ValidationError("Expected `str` of length >= 1 - at `key` in `$.metadata`"), {"pointer": "/metadata"}),
        (msgspec.ValidationError("Expected `int`, got `str` - at `$.items[1]`"), {"pointer": "/items/1"}),
        (msgspec.ValidationError("Object missing required field `amount`"), {"pointer": "/amount"}),
        (msgspec.ValidationError("Object contains unknown field `zz` - at `$.customer`"), {"pointer": "/customer/zz"}),
        (msgspec.ValidationError("Expected `object`, got `array`"), {"pointer": ""}),
        (InvalidAmount(0), {"pointer": "/amount"}),
        (UnknownCurrency("XYZ"), {"pointer": "/currency"}),
        (InvalidCursor("bad"), {"parameter": "cursor"}),
        (CallbackUrlRefused("the host db.internal does not resolve"), {"pointer": "/callback_url"}),
        (InvalidParameter("Idempotency-Key", "too long"), {"parameter": "Idempotency-Key"}),
        (
            ValidationException(extra=[{"message": "Expected `int` >= 1", "key": "limit", "source": "query"}]),
            {"parameter": "limit"},
        ),
        (
            ValidationException(extra=[{"message": "bad", "key": "order_id", "source": "path"}]),
            {"parameter": "order_id"},
        ),
        (ValidationException(extra=[{"message": "missing", "key": "data", "source": "body"}]), {"pointer": ""}),
    ],
)
def test_validation_problems_say_where(error: BaseException, expected: dict[str, str]) -> None:
    errors: list[dict[str, Any]] = problem_for(error).extras["errors"]
    assert len(errors) == 1
    assert {k: v for k, v in errors[0].items() if k != "detail"} == expected
    assert errors[0]["detail"]


def test_an_internal_error_shows_no_internals() -> None:
    problem = problem_for(RuntimeError("password=hunter2 in SELECT * FROM api_keys"))
    assert "hunter2" not in problem.detail
    assert "SELECT" not in problem.detail


def test_the_document_has_every_member_and_an_absolute_type() -> None:
    document = problem_document(
        problem_for(PaymentNotFound("pay_1")),
        type_base="https://pay.example/problems/",
        instance="/api/v1/payments/pay_1",
        request_id="req-1",
    )
    assert document == {
        "type": "https://pay.example/problems/payment-not-found",
        "title": "Payment not found",
        "status": 404,
        "detail": "no payment pay_1",
        "instance": "/api/v1/payments/pay_1",
        "request_id": "req-1",
    }


@pytest.mark.parametrize(
    ("status", "detail"),
    [
        (PaymentStatus.PROCESSING, "pay_1 is still processing"),
        (PaymentStatus.FAILED, "pay_1 has already failed"),
        (PaymentStatus.EXPIRED, "pay_1 has expired"),
        (PaymentStatus.CANCELLED, "pay_1 was cancelled"),
        (PaymentStatus.REFUNDED, "pay_1 is already refunded"),
        (PaymentStatus.DISPUTED, "pay_1 is disputed"),
    ],
)
def test_a_payment_that_cannot_be_refunded_is_explained_in_plain_words(status: PaymentStatus, detail: str) -> None:
    problem = problem_for(PaymentNotRefundable("pay_1", status))
    assert problem.detail == f"{detail}; only a succeeded or partially refunded payment can be refunded"


def test_a_blocked_checkout_lists_the_rules_that_blocked_it() -> None:
    blocked = PaymentBlocked("o-1", RiskAssessment(RiskDecision.BLOCK, 100, ("denylist", "email-velocity")))

    document = problem_document(problem_for(blocked), type_base="/problems/", instance="/x", request_id="r")

    assert (document["type"], document["status"]) == ("/problems/payment-blocked", 422)
    assert document["reasons"] == ["denylist", "email-velocity"]
