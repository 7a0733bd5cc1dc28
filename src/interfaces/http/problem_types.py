"""Every problem type the API answers with (RFC 9457): slug, status, title, and when it happens (served at
GET /problems/<slug>). API.md's table is the contract; problems.py maps exceptions onto these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


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
WEBHOOK_BODY_PURGED = ProblemType(
    "webhook-body-purged",
    409,
    "Webhook body purged",
    "The event's raw body and headers were dropped after the retention period "
    "(PAYMENTS_WEBHOOK_BODY_RETENTION_DAYS): it can no longer be verified or replayed.",
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
    "Refunds and captures need an `Idempotency-Key` header, so that a retried request can never refund or capture "
    "twice.",
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
CAPTURE_NOT_SUPPORTED = ProblemType(
    "capture-not-supported",
    422,
    "Capture not supported",
    "The checkout asked for manual capture, which the chosen provider cannot do (it cannot hold funds). Nothing "
    "was created; check out with `capture: automatic`, or with a provider that holds funds (Stripe, PayPal).",
)
PAYMENT_NOT_CAPTURABLE = ProblemType(
    "payment-not-capturable",
    409,
    "Payment not capturable",
    "Only an authorized payment can be captured, once: it is not authorized, or a capture is already in progress.",
)
CAPTURE_EXCEEDS_AUTHORIZED = ProblemType(
    "capture-exceeds-authorized",
    422,
    "Capture exceeds the authorized amount",
    "The capture asked for more than the authorization holds.",
)
PAYMENT_NOT_CANCELLABLE = ProblemType(
    "payment-not-cancellable",
    409,
    "Payment not cancellable",
    "Only an open checkout or an authorization can be cancelled; a paid payment is refunded instead.",
)
PAYMENT_BLOCKED = ProblemType(
    "payment-blocked",
    422,
    "Payment blocked",
    "The checkout's risk check blocked it (a rule of the risk rules file, or the external scorer): no payment was "
    "created and no provider was asked. `reasons` lists the rule ids (and the scorer's reasons).",
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
        WEBHOOK_BODY_PURGED,
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
        CAPTURE_NOT_SUPPORTED,
        PAYMENT_NOT_CAPTURABLE,
        CAPTURE_EXCEEDS_AUTHORIZED,
        PAYMENT_NOT_CANCELLABLE,
        PAYMENT_BLOCKED,
        INTERNAL_ERROR,
    )
}
