"""The one mapping from exceptions to RFC 9457 problem details (application/problem+json).

Domain, application and framework errors all pass through `problem_for`: the `PROBLEMS` table names each
exception type's problem type (the most specific class in the exception's MRO wins), and a few small rules
add what a type needs beyond that (validation `errors`, `Retry-After`, `WWW-Authenticate`, `Allow`).
A 500 never shows internals: its detail is fixed and the exception goes to the log with the request id.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
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
    WebhookEventNotFound,
)
from domain.payments.errors import (
    CheckoutConflict,
    InvalidAmount,
    OrderAlreadyPaid,
    PaymentNotRefundable,
    RefundExceedsRefundable,
    TransitionNotAllowed,
)
from domain.shared.money import UnknownCurrency
from interfaces.http.errors import IdempotencyKeyRequired, InvalidParameter, UnsupportedMediaType
from interfaces.http.request_context import request_id_of

if TYPE_CHECKING:
    from litestar import Request

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True, slots=True)
class ProblemType:
    slug: str
    status: int
    title: str
    description: str  # when it happens; served at GET /problems/<slug>


MALFORMED_REQUEST = ProblemType("malformed-request", 400, "Malformed request", "The body is not parseable JSON.")
VALIDATION_ERROR = ProblemType(
    "validation-error",
    422,
    "Validation failed",
    "The body, a query or path parameter, or a header fails validation. "
    '`errors` lists each failure with a JSON Pointer into the body (`{"pointer": "/amount"}`) '
    'or the parameter\'s name (`{"parameter": "limit"}`).',
)
UNAUTHENTICATED = ProblemType(
    "unauthenticated",
    401,
    "Authentication required",
    "The API key is missing, unknown or revoked. Send `Authorization: Bearer <key>` or `X-API-Key: <key>`.",
)
FORBIDDEN = ProblemType("forbidden", 403, "Forbidden", "The API key is valid but lacks the scope this endpoint needs.")
NOT_FOUND = ProblemType("not-found", 404, "Not found", "No such route (or no such problem type).")
PAYMENT_NOT_FOUND = ProblemType("payment-not-found", 404, "Payment not found", "No payment with that id (or order).")
TRANSACTION_NOT_FOUND = ProblemType(
    "transaction-not-found", 404, "Transaction not found", "No payment or refund with that id or provider reference."
)
WEBHOOK_EVENT_NOT_FOUND = ProblemType(
    "webhook-event-not-found", 404, "Webhook event not found", "No received webhook event with that id."
)
NOTIFICATION_NOT_FOUND = ProblemType(
    "notification-not-found", 404, "Notification not found", "No outgoing notification with that id."
)
METHOD_NOT_ALLOWED = ProblemType(
    "method-not-allowed", 405, "Method not allowed", "The route exists but not for this method; see `Allow`."
)
PAYLOAD_TOO_LARGE = ProblemType(
    "payload-too-large", 413, "Payload too large", "The body is larger than the configured limit."
)
HEADERS_TOO_LARGE = ProblemType(
    "headers-too-large",
    431,
    "Request headers too large",
    "The request's headers (names and values together) are larger than 16 KiB. Nothing was done; send fewer "
    "or shorter headers.",
)
UNSUPPORTED_MEDIA_TYPE = ProblemType(
    "unsupported-media-type", 415, "Unsupported media type", "The body must be sent as `application/json`."
)
RATE_LIMITED = ProblemType(
    "rate-limited", 429, "Too many requests", "The API key (or provider) sent too many requests; see `Retry-After`."
)
ORDER_ALREADY_PAID = ProblemType(
    "order-already-paid", 409, "Order already paid", "Checkout for an order that already has a succeeded payment."
)
CHECKOUT_CONFLICT = ProblemType(
    "checkout-conflict",
    409,
    "Checkout conflict",
    "An open checkout for the order exists with a different amount or currency.",
)
PAYMENT_NOT_REFUNDABLE = ProblemType(
    "payment-not-refundable",
    409,
    "Payment cannot be refunded",
    "The payment's status does not allow refunds (only succeeded and partially refunded payments do).",
)
REFUND_EXCEEDS_AVAILABLE = ProblemType(
    "refund-exceeds-available",
    422,
    "Refund exceeds the refundable amount",
    "The amount is greater than what remains refundable on the payment.",
)
UNSUPPORTED_CURRENCY = ProblemType(
    "unsupported-currency", 422, "Unsupported currency", "No enabled provider supports the currency."
)
PROVIDER_NOT_ENABLED = ProblemType(
    "provider-not-enabled", 422, "Provider not enabled", "The requested provider is not configured."
)
IDEMPOTENCY_KEY_REQUIRED = ProblemType(
    "idempotency-key-required",
    400,
    "Idempotency-Key required",
    "Refunds need an `Idempotency-Key` header, so that a retried request can never refund twice.",
)
IDEMPOTENCY_KEY_REUSE = ProblemType(
    "idempotency-key-reuse",
    422,
    "Idempotency-Key reused",
    "The `Idempotency-Key` was already used with a different request (method, path or body).",
)
IDEMPOTENCY_KEY_IN_USE = ProblemType(
    "idempotency-key-in-use",
    409,
    "Idempotency-Key in use",
    "A request with the same `Idempotency-Key` is still being processed; retry when it has finished.",
)
INVALID_SIGNATURE = ProblemType(
    "invalid-signature",
    400,
    "Invalid webhook signature",
    "The webhook signature is missing, wrong or outside the tolerance window. Nothing was stored.",
)
MALFORMED_WEBHOOK = ProblemType(
    "malformed-webhook",
    400,
    "Malformed webhook",
    "The webhook is correctly signed, but its body is not an event of that provider we can read (not an event "
    "object, a field missing or of the wrong type, an impossible timestamp, an event id over 255 characters). "
    "Nothing was stored.",
)
UNKNOWN_PROVIDER = ProblemType(
    "unknown-provider", 404, "Unknown provider", "The webhook path names no enabled provider."
)
PROVIDER_ERROR = ProblemType(
    "provider-error", 502, "Payment provider error", "The payment provider rejected or failed the call."
)
PROVIDER_UNAVAILABLE = ProblemType(
    "provider-unavailable",
    503,
    "Payment provider unavailable",
    "The payment provider timed out or its circuit is open; retry after `Retry-After` seconds.",
)
SERVICE_UNAVAILABLE = ProblemType(
    "service-unavailable",
    503,
    "Service unavailable",
    "The database is unreachable (or the service is not ready); retry after `Retry-After` seconds.",
)
CONCURRENT_UPDATE = ProblemType(
    "concurrent-update",
    409,
    "Concurrent update",
    "Another request changed the same payment at the same moment; retrying the request is safe.",
)
TRANSITION_NOT_ALLOWED = ProblemType(
    "transition-not-allowed", 409, "Transition not allowed", "The payment's state machine does not allow this move."
)
INTERNAL_ERROR = ProblemType(
    "internal-error",
    500,
    "Internal error",
    "Anything else. The body never shows internals; the log has them, tied to the response's `request_id`.",
)

PROBLEM_TYPES: Mapping[str, ProblemType] = {
    p.slug: p
    for p in (
        MALFORMED_REQUEST,
        VALIDATION_ERROR,
        UNAUTHENTICATED,
        FORBIDDEN,
        NOT_FOUND,
        PAYMENT_NOT_FOUND,
        TRANSACTION_NOT_FOUND,
        WEBHOOK_EVENT_NOT_FOUND,
        NOTIFICATION_NOT_FOUND,
        METHOD_NOT_ALLOWED,
        PAYLOAD_TOO_LARGE,
        HEADERS_TOO_LARGE,
        UNSUPPORTED_MEDIA_TYPE,
        RATE_LIMITED,
        ORDER_ALREADY_PAID,
        CHECKOUT_CONFLICT,
        PAYMENT_NOT_REFUNDABLE,
        REFUND_EXCEEDS_AVAILABLE,
        UNSUPPORTED_CURRENCY,
        PROVIDER_NOT_ENABLED,
        IDEMPOTENCY_KEY_REQUIRED,
        IDEMPOTENCY_KEY_REUSE,
        IDEMPOTENCY_KEY_IN_USE,
        INVALID_SIGNATURE,
        MALFORMED_WEBHOOK,
        UNKNOWN_PROVIDER,
        PROVIDER_ERROR,
        PROVIDER_UNAVAILABLE,
        SERVICE_UNAVAILABLE,
        CONCURRENT_UPDATE,
        TRANSITION_NOT_ALLOWED,
        INTERNAL_ERROR,
    )
}

PROBLEMS: Mapping[type[Exception], ProblemType] = {
    # domain
    PaymentNotRefundable: PAYMENT_NOT_REFUNDABLE,
    RefundExceedsRefundable: REFUND_EXCEEDS_AVAILABLE,
    OrderAlreadyPaid: ORDER_ALREADY_PAID,
    CheckoutConflict: CHECKOUT_CONFLICT,
    InvalidAmount: VALIDATION_ERROR,
    UnknownCurrency: VALIDATION_ERROR,
    TransitionNotAllowed: TRANSITION_NOT_ALLOWED,
    # application
    PaymentNotFound: PAYMENT_NOT_FOUND,
    TransactionNotFound: TRANSACTION_NOT_FOUND,
    WebhookEventNotFound: WEBHOOK_EVENT_NOT_FOUND,
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
_MSGSPEC_ERROR = re.compile(r"^(?P<message>.*?)(?: - at `(?P<path>[^`]*)`(?: in `(?P<container>[^`]*)`)?)?$", re.S)
_FIELD_NAMED = re.compile(r"^Object (?:missing required|contains unknown) field `(?P<field>[^`]*)`$")
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[\.\.\.\]")


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
    errors = _validation_errors(exc)
    if errors:
        extras["errors"] = errors
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


def _validation_errors(exc: BaseException) -> list[dict[str, str]]:
    if isinstance(exc, msgspec.ValidationError):
        return [_body_error(str(exc))]
    if isinstance(exc, ValidationException):
        return [_litestar_error(item) for item in (exc.extra if isinstance(exc.extra, list) else [])]
    if isinstance(exc, InvalidAmount):
        return [{"pointer": "/amount", "detail": str(exc)}]
    if isinstance(exc, UnknownCurrency):
        return [{"pointer": "/currency", "detail": str(exc)}]
    if isinstance(exc, CallbackUrlRefused):
        return [{"pointer": "/callback_url", "detail": exc.reason}]
    if isinstance(exc, InvalidCursor):
        return [{"parameter": "cursor", "detail": str(exc) or "not a cursor this API issued"}]
    if isinstance(exc, InvalidParameter):
        return [{"parameter": exc.name, "detail": exc.detail}]
    return []


def _body_error(message: str) -> dict[str, str]:
    """msgspec's "Expected `int` >= 1 - at `$.amount`" → {"pointer": "/amount", "detail": "Expected `int` >= 1"}."""
    match = _MSGSPEC_ERROR.match(message)
    assert match is not None  # the pattern matches any string
    text, path = match["message"], match["container"] or match["path"] or "$"
    pointer = json_pointer(path)
    if named := _FIELD_NAMED.match(text):
        pointer += "/" + _escape(named["field"])
    return {"pointer": pointer, "detail": text}


def json_pointer(msgspec_path: str) -> str:
    """`$.customer.email` → `/customer/email`, `$.items[1]` → `/items/1`, `$.metadata[...]` → `/metadata`."""
    parts = []
    for match in _PATH_PART.finditer(msgspec_path.removeprefix("$")):
        name, index = match.groups()
        if name is not None:
            parts.append(_escape(name))
        elif index is not None:
            parts.append(index)
    return "".join("/" + part for part in parts)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _litestar_error(item: Any) -> dict[str, str]:
    """Litestar's {"message", "key", "source"} → a pointer into the body or a parameter name."""
    if not isinstance(item, dict):
        return {"pointer": "", "detail": str(item)}
    key, source, message = str(item.get("key", "")), str(item.get("source", "")), str(item.get("message", ""))
    if source == "body" or not key:
        if key in ("", "data"):
            return {"pointer": "", "detail": "a JSON body is required"}
        return {"pointer": "/" + "/".join(_escape(part) for part in key.split(".")), "detail": message}
    return {"parameter": key, "detail": message}


def _log(exc: BaseException, problem: Problem, request: Request[Any, Any, Any], request_id: str) -> None:
    where = f"{request.scope['method']} {request.scope['path']}"
    if problem.status == 500:
        log.error("request %s (%s) failed", request_id, where, exc_info=exc)
    else:
        log.warning("request %s (%s) answered %s: %s", request_id, where, problem.status, exc)
