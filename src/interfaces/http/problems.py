"""The one mapping from exceptions to RFC 9457 problem details (application/problem+json).

Domain, application and framework errors all pass through `problem_for`: the `PROBLEMS` table names each
exception type's problem type (the most specific class in the exception's MRO wins), and a few small rules
add what a type needs beyond that (validation `errors`, `Retry-After`, `WWW-Authenticate`, `Allow`).
A 500 never shows internals: its detail is fixed and the exception goes to the log with the request id.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ServiceUnavailableException,
    TooManyRequestsException,
    ValidationException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from rfc9457 import Problem

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
from domain.payments.risk import PaymentBlocked
from domain.shared.money import UnknownCurrency
from interfaces.http.errors import IdempotencyKeyRequired, InvalidParameter, UnsupportedMediaType
from interfaces.http.problem_types import (
    CAPTURE_EXCEEDS_AUTHORIZED,
    CAPTURE_NOT_SUPPORTED,
    CHECKOUT_CONFLICT,
    CONCURRENT_UPDATE,
    FORBIDDEN,
    IDEMPOTENCY_KEY_IN_USE,
    IDEMPOTENCY_KEY_REQUIRED,
    IDEMPOTENCY_KEY_REUSE,
    INTERNAL_ERROR,
    INVALID_SIGNATURE,
    MALFORMED_REQUEST,
    MALFORMED_WEBHOOK,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    NOTIFICATION_NOT_FOUND,
    ORDER_ALREADY_PAID,
    PAYLOAD_TOO_LARGE,
    PAYMENT_BLOCKED,
    PAYMENT_NOT_CANCELLABLE,
    PAYMENT_NOT_CAPTURABLE,
    PAYMENT_NOT_FOUND,
    PAYMENT_NOT_REFUNDABLE,
    PROVIDER_ERROR,
    PROVIDER_NOT_ENABLED,
    PROVIDER_UNAVAILABLE,
    RATE_LIMITED,
    REFUND_EXCEEDS_AVAILABLE,
    SERVICE_UNAVAILABLE,
    TRANSACTION_NOT_FOUND,
    TRANSITION_NOT_ALLOWED,
    UNAUTHENTICATED,
    UNKNOWN_PROVIDER,
    UNSUPPORTED_CURRENCY,
    UNSUPPORTED_MEDIA_TYPE,
    VALIDATION_ERROR,
    WEBHOOK_BODY_PURGED,
    WEBHOOK_EVENT_NOT_FOUND,
    ProblemType,
)
from interfaces.http.request_context import request_id_of
from interfaces.http.validation_errors import validation_errors

if TYPE_CHECKING:
    from litestar import Request


log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


PROBLEMS: Mapping[type[Exception], ProblemType] = {
    # domain
    PaymentNotRefundable: PAYMENT_NOT_REFUNDABLE,
    RefundExceedsRefundable: REFUND_EXCEEDS_AVAILABLE,
    OrderAlreadyPaid: ORDER_ALREADY_PAID,
    CheckoutConflict: CHECKOUT_CONFLICT,
    InvalidAmount: VALIDATION_ERROR,
    UnknownCurrency: VALIDATION_ERROR,
    TransitionNotAllowed: TRANSITION_NOT_ALLOWED,
    PaymentNotCapturable: PAYMENT_NOT_CAPTURABLE,
    CaptureExceedsAuthorized: CAPTURE_EXCEEDS_AUTHORIZED,
    PaymentNotCancellable: PAYMENT_NOT_CANCELLABLE,
    PaymentBlocked: PAYMENT_BLOCKED,
    # application
    CaptureNotSupported: CAPTURE_NOT_SUPPORTED,
    PaymentNotFound: PAYMENT_NOT_FOUND,
    TransactionNotFound: TRANSACTION_NOT_FOUND,
    WebhookEventNotFound: WEBHOOK_EVENT_NOT_FOUND,
    WebhookBodyPurged: WEBHOOK_BODY_PURGED,
    NotificationNotFound: NOTIFICATION_NOT_FOUND,
    UnsupportedCurrency: UNSUPPORTED_CURRENCY,
    ProviderNotEnabled: PROVIDER_NOT_ENABLED,
    UnknownProvider: UNKNOWN_PROVIDER,
    InvalidSignature: INVALID_SIGNATURE,
    MalformedWebhook: MALFORMED_WEBHOOK,  # a subclass of InvalidSignature: the MRO walk finds it first
    ProviderError: PROVIDER_ERROR,
    ProviderUnavailable: PROVIDER_UNAVAILABLE,
    StoreUnavailable: SERVICE_UNAVAILABLE,
    ConcurrentUpdate: CONCURRENT_UPDATE,
    LivePaymentExists: CHECKOUT_CONFLICT,
    IdempotencyKeyReuse: IDEMPOTENCY_KEY_REUSE,
    IdempotencyKeyInUse: IDEMPOTENCY_KEY_IN_USE,
    InvalidCursor: VALIDATION_ERROR,
    CallbackUrlRefused: VALIDATION_ERROR,
    # HTTP layer
    IdempotencyKeyRequired: IDEMPOTENCY_KEY_REQUIRED,
    InvalidParameter: VALIDATION_ERROR,
    UnsupportedMediaType: UNSUPPORTED_MEDIA_TYPE,
    msgspec.ValidationError: VALIDATION_ERROR,  # a subclass of DecodeError: the MRO walk finds it first
    msgspec.DecodeError: MALFORMED_REQUEST,
    # framework (Litestar)
    ValidationException: VALIDATION_ERROR,
    NotAuthorizedException: UNAUTHENTICATED,
    PermissionDeniedException: FORBIDDEN,
    NotFoundException: NOT_FOUND,
    MethodNotAllowedException: METHOD_NOT_ALLOWED,
    RequestEntityTooLarge: PAYLOAD_TOO_LARGE,
    TooManyRequestsException: RATE_LIMITED,
    ServiceUnavailableException: SERVICE_UNAVAILABLE,
    ClientException: MALFORMED_REQUEST,  # e.g. an unparseable body or Content-Length
}

# Other HTTPExceptions (raised by Litestar or a plugin) by status code; anything else unknown is a 500.
_BY_STATUS: Mapping[int, ProblemType] = {
    400: MALFORMED_REQUEST,
    401: UNAUTHENTICATED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    405: METHOD_NOT_ALLOWED,
    413: PAYLOAD_TOO_LARGE,
    415: UNSUPPORTED_MEDIA_TYPE,
    422: VALIDATION_ERROR,
    429: RATE_LIMITED,
    503: SERVICE_UNAVAILABLE,
}

_INTERNAL_DETAIL = "An unexpected error occurred. It has been logged under this response's request_id."


def problem_type_for(exc: BaseException) -> ProblemType:
    for cls in type(exc).__mro__:
        problem_type = PROBLEMS.get(cls)
        if problem_type is not None:
            return problem_type
    if isinstance(exc, HTTPException):
        return _BY_STATUS.get(exc.status_code, INTERNAL_ERROR)
    return INTERNAL_ERROR


def problem_for(exc: BaseException) -> Problem:
    """The problem for an exception, without the request-specific members (instance, request_id)."""
    problem_type = problem_type_for(exc)
    extras: dict[str, Any] = {}
    errors = validation_errors(exc)
    if errors:
        extras["errors"] = errors
    if isinstance(exc, PaymentBlocked):  # which rules (and scorer reasons) blocked it
        extras["reasons"] = list(exc.reasons)
    return Problem(
        problem_type.title,
        type_=problem_type.slug,
        detail=_detail(exc, problem_type, errors),
        status=problem_type.status,
        headers=_headers(exc, problem_type),
        **extras,
    )


def problem_document(problem: Problem, *, type_base: str, instance: str, request_id: str) -> dict[str, Any]:
    """The JSON members: type (an absolute URI under `type_base`), title, status, detail, instance, request_id."""
    body: dict[str, Any] = problem.marshal(uri=type_base.replace("{", "{{").replace("}", "}}") + "{type}")
    body["instance"] = instance
    body["request_id"] = request_id
    return body


def problem_body(problem_type: ProblemType, detail: str, *, type_base: str, instance: str, request_id: str) -> bytes:
    """The encoded document of a problem answered outside Litestar (by the edge middleware, before routing)."""
    problem = Problem(problem_type.title, type_=problem_type.slug, detail=detail, status=problem_type.status)
    document = problem_document(problem, type_base=type_base, instance=instance, request_id=request_id)
    return msgspec.json.encode(document)


def render_problem(request: Request[Any, Any, Any], exc: BaseException) -> tuple[Problem, bytes]:
    problem = problem_for(exc)
    request_id = request_id_of(request.scope)
    if problem.status >= 500:
        _log(exc, problem, request, request_id)
    type_base: str = request.app.state.get("problem_type_base", "/problems/")
    document = problem_document(problem, type_base=type_base, instance=request.scope["path"], request_id=request_id)
    return problem, msgspec.json.encode(document)


def problem_response(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """Litestar's exception handler for every exception (registered for `Exception` on the app)."""
    problem, body = render_problem(request, exc)
    return Response(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers)


# ---- rules beyond the table ---------------------------------------------------------------------------


def _detail(exc: BaseException, problem_type: ProblemType, errors: list[dict[str, str]]) -> str:
    if problem_type is INTERNAL_ERROR:
        return _INTERNAL_DETAIL
    if isinstance(exc, StoreUnavailable):
        return f"The database is unavailable; retry in {exc.retry_after} seconds."
    if errors and problem_type is VALIDATION_ERROR:
        first = errors[0]
        where = first.get("pointer") or first.get("parameter") or "the body"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return f"{where}: {first['detail']}{more}"
    if isinstance(exc, msgspec.DecodeError):
        return f"The body is not valid JSON: {exc}"
    if isinstance(exc, HTTPException):
        if exc.detail and exc.detail != HTTPStatus(exc.status_code).phrase:
            return exc.detail
        return problem_type.description
    if isinstance(exc, InvalidParameter):
        return exc.detail
    return str(exc) or problem_type.description


def _headers(exc: BaseException, problem_type: ProblemType) -> dict[str, str] | None:
    given = {k.lower(): v for k, v in (exc.headers or {}).items()} if isinstance(exc, HTTPException) else {}
    headers: dict[str, str] = {}
    if problem_type is UNAUTHENTICATED:
        headers["WWW-Authenticate"] = "Bearer"
    elif problem_type is METHOD_NOT_ALLOWED and "allow" in given:
        headers["Allow"] = given["allow"]
    elif problem_type.status in (429, 503):
        retry_after = getattr(exc, "retry_after", None)
        default = "1" if problem_type is RATE_LIMITED else "5"
        headers["Retry-After"] = str(retry_after) if retry_after is not None else given.get("retry-after", default)
    return headers or None


def _log(exc: BaseException, problem: Problem, request: Request[Any, Any, Any], request_id: str) -> None:
    where = f"{request.scope['method']} {request.scope['path']}"
    if problem.status == 500:
        log.error("request %s (%s) failed", request_id, where, exc_info=exc)
    else:
        log.warning("request %s (%s) answered %s: %s", request_id, where, problem.status, exc)
