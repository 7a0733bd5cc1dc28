"""Hand-written fakes of the application's ports: real in-memory implementations, no mocks.

The unit of work keeps committed state in a shared `FakeStore` and copies aggregates in and out
(`copy.deepcopy`), so a change that is not committed is really gone, exactly as with a database. It enforces the
store's guarantees the handlers rely on: one live payment per order (LivePaymentExists), the optimistic version
check (ConcurrentUpdate) and the inbox's uniqueness on (provider, event id). `FakeStore.fail_next` injects a
fault into one named operation, for the paths a real store takes when it breaks.
"""

from __future__ import annotations

import copy
import inspect
import json
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self, TypeVar

from dependency_injector import providers as providers_

from application.bus import MessageBus
from application.data.callbacks import DeliveryResult
from application.data.cause import Cause
from application.data.janitor import DueCheck
from application.data.outbox import OutboxMessage
from application.data.outcomes import CheckoutOutcome, NotificationOutcome, RefundOutcome, WebhookOutcome
from application.data.provider_news import (
    CheckoutSession,
    EventAction,
    MissedEvent,
    ProviderCapture,
    ProviderEvent,
    ProviderRefund,
)
from application.data.reconciliation import Discrepancies, IdSample, Overview, ReconciliationSummary
from application.data.webhook_events import (
    Applied,
    InboxEntry,
    InboxReceipt,
    InboxStatus,
    StoredWebhook,
    WebhookEventFilter,
    WebhookEventPage,
)
from application.errors import (
    CaptureNotSupported,
    ConcurrentUpdate,
    InvalidCursor,
    InvalidSignature,
    LivePaymentExists,
    MalformedWebhook,
    PaymentNotFound,
    ProviderNotEnabled,
    UnknownProvider,
    UnsupportedCurrency,
)
from application.messages import Message
from application.ports.payment_provider import MayTakeMoney
from application.ports.risk import RecentCount
from application.views import (
    AuditEntryView,
    PaymentStatusView,
    PaymentView,
    TransactionFilter,
    TransactionPage,
    TransactionView,
)
from application.worker.backoff import RetryPolicy
from domain.payments.events import PaymentEvent
from domain.payments.payment import Payment
from domain.payments.refund import Refund
from domain.payments.status import LIVE_STATUSES, RefundStatus
from domain.shared.money import Currency, Money
from infrastructure.container import Container
from infrastructure.settings import Settings

T0 = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
R = TypeVar("R")
SESSION_LIFETIME = timedelta(hours=1)


# ---- clock and ids ----------------------------------------------------------------------------------------
class FakeClock:
    """Stands still until told to move."""

    def __init__(self, start: datetime = T0) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        self._now = at

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


class FakeIds:
    """`pay_00…01`, `re_00…02`: one counter for all prefixes, zero-padded so later ids sort after earlier."""

    def __init__(self) -> None:
        self._count = 0

    def new(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}_{self._count:026d}"


# ---- the store ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AuditRow:
    id: str
    payment_id: str
    event: str  # the domain event's public name, e.g. "payment.succeeded"
    from_status: str | None
    to_status: str | None
    cause: Cause
    data: dict[str, Any]
    at: datetime


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: str
    payment_id: str
    event: str
    cause: Cause
    data: dict[str, Any]


@dataclass(slots=True)
class InboxRow:
    id: str
    provider: str
    event_id: str
    event_type: str
    headers: dict[str, str]
    body: bytes
    received_at: datetime
    status: InboxStatus = InboxStatus.RECEIVED
    reason: str | None = None
    payment_id: str | None = None
    processed_at: datetime | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    claimed_by: str | None = None
    claimed_until: datetime | None = None


@dataclass
class FakeStore:
    """What has been committed. Tests read it directly to assert what a handler left behind."""

    payments: dict[str, Payment] = field(default_factory=dict)
    inbox: dict[str, InboxRow] = field(default_factory=dict)
    audit: list[AuditRow] = field(default_factory=list)
    outbox: list[OutboxRow] = field(default_factory=list)
    commits: int = 0
    faults: dict[str, Exception | Callable[[], None]] = field(default_factory=dict)
    _rows: int = 0
    # the janitor's schedule: payment or refund id → (checks made, next check at)
    schedule: dict[str, tuple[int, datetime | None]] = field(default_factory=dict)

    def fail_next(self, operation: str, error: Exception) -> None:
        """The next call of `operation` raises `error` (once). Operations: payments.add, payments.get,
        payments.save, payments.find_live_for_order, inbox.record, inbox.mark, commit."""
        self.faults[operation] = error

    def before_next(self, operation: str, interleaved: Callable[[], None]) -> None:
        """Runs `interleaved` just before the next call of `operation` (once): what a concurrent request
        commits at that moment, e.g. a rival checkout winning the race for the order."""
        self.faults[operation] = interleaved

    def payment(self, payment_id: str) -> Payment:
        """A copy of the committed payment (tests may look, not touch)."""
        return copy.deepcopy(self.payments[payment_id])

    def inbox_row(self, provider: str, event_id: str) -> InboxRow | None:
        return next((r for r in self.inbox.values() if (r.provider, r.event_id) == (provider, event_id)), None)

    def events_of(self, payment_id: str) -> list[str]:
        return [row.event for row in self.audit if row.payment_id == payment_id]

    def _fault(self, operation: str) -> None:
        fault = self.faults.pop(operation, None)
        if isinstance(fault, Exception):
            raise fault
        if fault is not None:
            fault()

    def _next_row_id(self, prefix: str) -> str:
        self._rows += 1
        return f"{prefix}_{self._rows:06d}"


@dataclass
class _Transaction:
    written: dict[str, Payment] = field(default_factory=dict)  # payment id → the copy to commit
    read_versions: dict[str, int | None] = field(default_factory=dict)  # committed version seen (None: new)
    inbox: dict[str, InboxRow] = field(default_factory=dict)
    audit: list[AuditRow] = field(default_factory=list)
    outbox: list[OutboxRow] = field(default_factory=list)


class FakePaymentRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    async def add(self, payment: Payment, cause: Cause) -> None:
        store, tx = self._uow._store, self._uow._tx_or_fail()
        store._fault("payments.add")
        if payment.id in store.payments or payment.id in tx.written:
            raise AssertionError(f"fake store: duplicate payment id {payment.id}")
        if payment.status in LIVE_STATUSES and self._live_for(payment.order_id, exclude=payment.id) is not None:
            raise LivePaymentExists(payment.order_id)
        payment.version = 1
        tx.read_versions[payment.id] = None
        self._write(payment, cause)

    async def get(self, payment_id: str, *, for_update: bool = False) -> Payment:
        self._uow._store._fault("payments.get")
        payment = self._current(payment_id)
        if payment is None:
            raise PaymentNotFound(payment_id)
        return copy.deepcopy(payment)

    async def find_live_for_order(self, order_id: str) -> Payment | None:
        self._uow._store._fault("payments.find_live_for_order")
        live = self._live_for(order_id)
        return None if live is None else copy.deepcopy(live)

    async def find_by_provider_reference(self, provider: str, reference: str) -> Payment | None:
        tx = self._uow._tx_or_fail()
        visible = {**self._uow._store.payments, **tx.written}
        found = [p for p in visible.values() if (p.provider, p.provider_reference) == (provider, reference)]
        return copy.deepcopy(found[0]) if found else None

    async def save(self, payment: Payment, cause: Cause) -> None:
        store, tx = self._uow._store, self._uow._tx_or_fail()
        store._fault("payments.save")
        current = self._current(payment.id)
        if current is None:
            raise PaymentNotFound(payment.id)
        if payment.version != current.version:
            raise ConcurrentUpdate(payment.id)
        if payment.id not in tx.read_versions:
            tx.read_versions[payment.id] = current.version
        payment.version = current.version + 1
        self._write(payment, cause)

    def _write(self, payment: Payment, cause: Cause) -> None:
        store, tx = self._uow._store, self._uow._tx_or_fail()
        for event in payment.pull_events():
            tx.audit.append(_audit_row(store._next_row_id("aud"), event, cause))
            tx.outbox.append(OutboxRow(store._next_row_id("obx"), event.payment_id, event.name, cause, event.data()))
        tx.written[payment.id] = copy.deepcopy(payment)

    def _current(self, payment_id: str) -> Payment | None:
        tx = self._uow._tx_or_fail()
        if payment_id in tx.written:
            return tx.written[payment_id]
        return self._uow._store.payments.get(payment_id)

    def _live_for(self, order_id: str, exclude: str | None = None) -> Payment | None:
        tx = self._uow._tx_or_fail()
        visible = {**self._uow._store.payments, **tx.written}
        live = [p for p in visible.values() if p.order_id == order_id and _counts_as_live(p) and p.id != exclude]
        return max(live, key=lambda p: (p.created_at, p.id), default=None)


def _counts_as_live(payment: Payment) -> bool:
    """The store's one-live-payment-per-order index: live statuses, but not a payment paid after its cancel."""
    return payment.status in LIVE_STATUSES and not payment.paid_after_cancel


def _audit_row(row_id: str, event: PaymentEvent, cause: Cause) -> AuditRow:
    return AuditRow(
        row_id,
        event.payment_id,
        event.name,
        None if event.from_status is None else event.from_status.value,
        None if event.to_status is None else event.to_status.value,
        cause,
        event.data(),
        event.occurred_at,
    )


class FakeWebhookInbox:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    async def record(self, entry: InboxEntry, *, applied: Applied | None = None) -> InboxReceipt:
        store, tx = self._uow._store, self._uow._tx_or_fail()
        store._fault("inbox.record")
        for row in (*store.inbox.values(), *tx.inbox.values()):
            if (row.provider, row.event_id) == (entry.provider, entry.event_id):
                return InboxReceipt(row.id, duplicate=True)
        tx.inbox[entry.id] = InboxRow(
            entry.id,
            entry.provider,
            entry.event_id,
            entry.event_type,
            dict(entry.headers),
            entry.body,
            entry.received_at,
        )
        if applied is not None:  # as the SQL inbox: written as processed, marked only if the outcome differs
            row = tx.inbox[entry.id]
            row.status, row.processed_at, row.payment_id = InboxStatus.PROCESSED, applied.at, applied.payment_id
        return InboxReceipt(entry.id, duplicate=False)

    async def mark(
        self, entry_id: str, status: InboxStatus, *, reason: str | None, payment_id: str | None, at: datetime
    ) -> None:
        store, tx = self._uow._store, self._uow._tx_or_fail()
        store._fault("inbox.mark")
        row = tx.inbox.get(entry_id) or copy.deepcopy(store.inbox[entry_id])
        row.status, row.reason, row.processed_at = status, reason, at
        row.payment_id = payment_id if payment_id is not None else row.payment_id  # as the SQL inbox keeps it
        if status is InboxStatus.FAILED:  # as the SQL inbox: one more attempt, first retry 30 s later
            row.attempts, row.next_attempt_at = row.attempts + 1, at + timedelta(seconds=30)
        else:
            row.next_attempt_at = None
        tx.inbox[entry_id] = row


class FakeRecentCheckouts:
    """Counts the committed payments like the store does (one task at a time: no lock needed here)."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store

    async def count(self, queries: Sequence[RecentCount]) -> list[int]:
        def value(payment: Payment, by: str) -> str | None:
            details = payment.details
            return {"email": details.customer_email, "ip": details.customer_ip, "order": payment.order_id}[by]

        def same(stored: str | None, wanted: str, by: str) -> bool:  # as the store: an e-mail whatever its case
            return stored is not None and (stored.lower() == wanted.lower() if by == "email" else stored == wanted)

        payments = list(self._store.payments.values())
        return [sum(same(value(p, q.by), q.value, q.by) and p.created_at >= q.since for p in payments) for q in queries]


class FakeUnitOfWork:
    """Reusable: every `async with` is a new transaction, discarded on exit unless `commit()` was called."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self._tx: _Transaction | None = None
        self.payments = FakePaymentRepository(self)
        self.inbox = FakeWebhookInbox(self)
        self.recent_checkouts = FakeRecentCheckouts(store)
        self.transactions = 0

    async def __aenter__(self) -> Self:
        if self._tx is not None:
            raise AssertionError("FakeUnitOfWork is not re-entrant: a transaction is already open")
        self._tx = _Transaction()
        self.transactions += 1
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._tx = None  # whatever was not committed is gone

    async def commit(self) -> None:
        store, tx = self._store, self._tx_or_fail()
        store._fault("commit")
        for payment_id, seen in tx.read_versions.items():  # someone committed since we read: refuse it all
            committed = store.payments.get(payment_id)
            if (None if committed is None else committed.version) != seen:
                raise ConcurrentUpdate(payment_id)
        after = {**store.payments, **tx.written}
        for payment in tx.written.values():  # the uniqueness guard, checked as the rows would be
            live = [p for p in after.values() if p.order_id == payment.order_id and _counts_as_live(p)]
            if len(live) > 1:
                raise LivePaymentExists(payment.order_id)
        store.payments.update(tx.written)
        store.inbox.update(tx.inbox)
        store.audit.extend(tx.audit)
        store.outbox.extend(tx.outbox)
        store.commits += 1
        self._tx = _Transaction()  # later work in the same block is a new transaction

    async def rollback(self) -> None:
        self._tx_or_fail()
        self._tx = _Transaction()

    def one_write(self) -> Self:
        """An ordinary transaction: what the store's one statement guarantees, one write made atomically."""
        return self

    def _tx_or_fail(self) -> _Transaction:
        if self._tx is None:
            raise AssertionError("FakeUnitOfWork used outside `async with`")
        return self._tx


# ---- providers ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RefundCall:
    payment_id: str
    refund_id: str
    amount: int
    currency: str


class FakeProvider:
    """A provider that answers from memory and remembers every call.

    Set `checkout_error` / `refund_error` to make calls raise (ProviderError, ProviderUnavailable);
    `refund_status` is the answer to a refund (pending by default, like most real providers).
    `on_checkout` / `on_refund` run at the moment of the call (tests use them to look at the store then, or
    to let a webhook overtake the provider's answer); they may be async.

    Webhooks are JSON `{"id", "type", "action", "payment_id", "refund_id", "amount", "currency", "reason"}`
    (see `webhook()`), accepted only with the header `x-fake-signature: ok`.
    """

    def __init__(
        self,
        name: str = "fake",
        currencies: tuple[str, ...] = ("USD", "EUR", "JPY", "KWD"),
        *,
        holds_funds: bool = True,
    ) -> None:
        self.name = name
        self.currencies = frozenset(currencies)
        self.supports_manual_capture = holds_funds
        self.captures: list[tuple[str, int]] = []  # (payment id, amount), in call order
        self.capture_error: Exception | None = None
        self.capture_confirmed = True  # False: the provider confirms later (its webhook)
        self.on_capture: Callable[[Payment], object] | None = None
        self.cancels: list[tuple[str, str]] = []  # (payment id, its status when asked), in call order
        self.cancel_error: Exception | None = None
        self.checkouts: list[str] = []  # payment ids, in call order
        self.refunds: list[RefundCall] = []
        self.checkout_error: Exception | None = None
        self.refund_error: Exception | None = None
        self.refund_status = RefundStatus.PENDING
        self.on_checkout: Callable[[Payment], object] | None = None
        self.on_refund: Callable[[Payment, Refund], object] | None = None
        self.confirmations: list[str] = []  # event ids, in call order
        self.confirm_error: Exception | None = None
        self.confirmed_action: EventAction | None = None  # what the provider says when asked (None: as sent)
        self.payment_lookups: dict[str, ProviderEvent | Exception] = {}  # payment id → the janitor's answer
        self.refund_lookups: dict[str, ProviderEvent | Exception] = {}  # refund id → the janitor's answer
        self.lookups: list[str] = []  # payment and refund ids asked about, in call order
        self.parsed_at: list[datetime | None] = []  # the `at` of each parse_webhook call
        self.missed: list[MissedEvent] | Exception = []  # what `missed_events` answers (or raises)
        self.missed_since: list[datetime] = []  # the `since` of each missed_events call
        self.refetched: list[str] = []  # the event ids `pulled_event` was asked for
        self.refetch_error: Exception | None = None  # raised by `pulled_event`

    def supports(self, currency: Currency) -> bool:
        return currency.code in self.currencies

    async def create_checkout(self, payment: Payment) -> CheckoutSession:
        self.checkouts.append(payment.id)
        if self.on_checkout is not None:
            await _maybe_await(self.on_checkout(payment))
        if self.checkout_error is not None:
            raise self.checkout_error
        return CheckoutSession(
            self.session_reference(payment.id), self.checkout_url(payment.id), payment.created_at + SESSION_LIFETIME
        )

    async def capture(self, payment: Payment, amount: Money) -> ProviderCapture:
        self.captures.append((payment.id, amount.amount))
        if self.on_capture is not None:
            await _maybe_await(self.on_capture(payment))
        if self.capture_error is not None:
            raise self.capture_error
        return ProviderCapture(self.capture_confirmed, f"fcp_{payment.id}")

    async def cancel(self, payment: Payment) -> None:
        self.cancels.append((payment.id, payment.status.value))
        if self.cancel_error is not None:
            raise self.cancel_error

    async def refund(self, payment: Payment, refund: Refund) -> ProviderRefund:
        self.refunds.append(RefundCall(payment.id, refund.id, refund.amount.amount, refund.amount.currency.code))
        if self.on_refund is not None:
            await _maybe_await(self.on_refund(payment, refund))
        if self.refund_error is not None:
            raise self.refund_error
        return ProviderRefund(self.refund_reference(refund.id), self.refund_status)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, *, at: datetime | None = None) -> ProviderEvent:
        self.parsed_at.append(at)
        signature = {k.lower(): v for k, v in headers.items()}.get("x-fake-signature")
        if signature != "ok":
            raise InvalidSignature(self.name, "missing or wrong x-fake-signature")
        try:
            data = json.loads(body)
            return ProviderEvent(
                provider=self.name,
                event_id=data["id"],
                event_type=data["type"],
                action=EventAction(data["action"]),
                payment_id=data.get("payment_id"),
                refund_id=data.get("refund_id"),
                amount=data.get("amount"),
                currency=data.get("currency"),
                reason=data.get("reason"),
                needs_confirmation=bool(data.get("needs_confirmation")),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise MalformedWebhook(self.name, f"unreadable body: {error}") from error

    async def confirm(self, event: ProviderEvent, may_take_money: MayTakeMoney | None = None) -> ProviderEvent:
        self.confirmations.append(event.event_id)
        if self.confirm_error is not None:
            raise self.confirm_error
        return replace(event, action=self.confirmed_action or event.action, needs_confirmation=False)

    async def lookup_payment(self, payment: Payment) -> ProviderEvent | None:
        """Answers from `payment_lookups[payment.id]` (an event, or an exception to raise); None by default."""
        return self._lookup(self.payment_lookups, payment.id)

    async def lookup_refund(self, payment: Payment, refund: Refund) -> ProviderEvent | None:
        """Answers from `refund_lookups[refund.id]` (an event, or an exception to raise); None by default."""
        return self._lookup(self.refund_lookups, refund.id)

    async def missed_events(self, since: datetime) -> list[MissedEvent]:
        """Answers `missed` (set it to an exception to raise); [] by default."""
        self.missed_since.append(since)
        if isinstance(self.missed, Exception):
            raise self.missed
        return list(self.missed)

    async def pulled_event(self, event_id: str) -> MissedEvent | None:
        """The pulled event still listed in `missed` (or `refetch_error` raised); None when it is not there."""
        self.refetched.append(event_id)
        if self.refetch_error is not None:
            raise self.refetch_error
        listed = [] if isinstance(self.missed, Exception) else self.missed
        return next((pulled for pulled in listed if pulled.event.event_id == event_id), None)

    def missed_event(self, body: bytes) -> MissedEvent:
        """A pulled event: `body` as `webhook()` makes it, translated without a signature (the API vouches)."""
        return MissedEvent(self.parse_webhook({"x-fake-signature": "ok"}, body), body)

    def _lookup(self, answers: dict[str, ProviderEvent | Exception], key: str) -> ProviderEvent | None:
        self.lookups.append(key)
        answer = answers.get(key)
        if isinstance(answer, Exception):
            raise answer
        return answer

    @staticmethod
    def session_reference(payment_id: str) -> str:
        return f"cs_{payment_id}"

    @staticmethod
    def checkout_url(payment_id: str) -> str:
        return f"https://fake.example/pay/{payment_id}"

    @staticmethod
    def refund_reference(refund_id: str) -> str:
        return f"fre_{refund_id}"


async def _maybe_await(result: object) -> None:
    if inspect.isawaitable(result):
        await result


def webhook(
    event_id: str,
    action: EventAction,
    payment_id: str | None = None,
    *,
    event_type: str | None = None,
    refund_id: str | None = None,
    amount: int | None = None,
    currency: str | None = None,
    reason: str | None = None,
    signature: str | None = "ok",
    needs_confirmation: bool = False,
) -> tuple[dict[str, str], bytes]:
    """Headers and raw body of a fake provider webhook."""
    body = {
        "id": event_id,
        "type": event_type or f"fake.{action.value}",
        "action": action.value,
        "payment_id": payment_id,
        "refund_id": refund_id,
        "amount": amount,
        "currency": currency,
        "reason": reason,
        "needs_confirmation": needs_confirmation,
    }
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Fake-Signature"] = signature
    return headers, json.dumps(body).encode()


class FakeProviders:
    """The enabled providers in routing order, with the routing rules of the PaymentProviders port."""

    def __init__(self, *providers: FakeProvider) -> None:
        self._providers = {p.name: p for p in providers}

    def get(self, name: str) -> FakeProvider:
        try:
            return self._providers[name]
        except KeyError:
            raise UnknownProvider(name) from None

    def choose(self, preference: str | None, currency: Currency, *, manual_capture: bool = False) -> FakeProvider:
        able = [p.name for p in self._providers.values() if p.supports_manual_capture]
        if preference is not None:
            provider = self._providers.get(preference)
            if provider is None:
                raise ProviderNotEnabled(preference, self.names())
            if manual_capture and not provider.supports_manual_capture:
                raise CaptureNotSupported(preference, able)
            if not provider.supports(currency):
                raise UnsupportedCurrency(currency.code, [preference])
            return provider
        for provider in self._providers.values():
            if provider.supports(currency) and (provider.supports_manual_capture or not manual_capture):
                return provider
        if manual_capture and not able:
            raise CaptureNotSupported(None, [])
        raise UnsupportedCurrency(currency.code, self.names())

    def fallbacks(self, currency: Currency, *, manual_capture: bool = False) -> list[FakeProvider]:
        able = (p for p in self._providers.values() if p.supports_manual_capture or not manual_capture)
        return [provider for provider in able if provider.supports(currency)]

    def names(self) -> list[str]:
        return list(self._providers)


# ---- read side ----------------------------------------------------------------------------------------------
class FakeReadModel:
    """Projections computed from the committed store, like the SQL read model computes them from rows."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store

    async def payment_status(self, order_id: str) -> PaymentStatusView | None:
        payments = [p for p in self._store.payments.values() if p.order_id == order_id]
        if not payments:
            return None
        p = max(payments, key=lambda p: (p.created_at, p.id))
        return PaymentStatusView(
            p.order_id,
            p.id,
            p.status.value,
            p.amount.amount,
            p.amount_refunded.amount,
            p.amount.currency.code,
            p.provider,
            p.updated_at,
        )

    async def payment(self, payment_id: str) -> PaymentView | None:
        payment = self._store.payments.get(payment_id)
        return None if payment is None else PaymentView.of(copy.deepcopy(payment))

    async def payments(self, payment_ids: Collection[str]) -> dict[str, PaymentView]:
        stored = self._store.payments
        return {i: PaymentView.of(copy.deepcopy(stored[i])) for i in payment_ids if i in stored}

    async def audit_trail(self, payment_id: str) -> list[AuditEntryView] | None:
        if payment_id not in self._store.payments:
            return None
        return [
            AuditEntryView(
                row.id,
                row.at,
                row.event,
                row.from_status,
                row.to_status,
                row.cause.source,
                row.cause.actor,
                row.cause.provider_event_id,
                dict(row.data),
            )
            for row in self._store.audit
            if row.payment_id == payment_id
        ]

    async def transactions(self, filters: TransactionFilter, limit: int, cursor: str | None) -> TransactionPage:
        rows = sorted(
            (t for t in self._all_transactions() if _matches(t, filters)),
            key=lambda t: (t.created_at, t.id),
            reverse=True,
        )
        if cursor is not None:
            ids = [t.id for t in rows]
            if cursor not in ids:
                raise InvalidCursor(cursor)
            rows = rows[ids.index(cursor) + 1 :]
        page = tuple(rows[:limit])
        return TransactionPage(page, page[-1].id if len(rows) > limit else None)

    async def transaction(self, id_or_reference: str) -> TransactionView | None:
        return next(
            (t for t in self._all_transactions() if id_or_reference in (t.id, t.provider_reference)),
            None,
        )

    def _all_transactions(self) -> list[TransactionView]:
        views = []
        for p in self._store.payments.values():
            views.append(
                TransactionView(
                    p.id,
                    "payment",
                    p.id,
                    p.order_id,
                    p.provider,
                    p.provider_reference,
                    p.amount.amount,
                    p.amount.currency.code,
                    p.status.value,
                    p.created_at,
                    p.updated_at,
                )
            )
            views.extend(
                TransactionView(
                    r.id,
                    "refund",
                    p.id,
                    p.order_id,
                    p.provider,
                    r.provider_reference,
                    r.amount.amount,
                    r.amount.currency.code,
                    r.status.value,
                    r.created_at,
                    r.updated_at,
                )
                for r in p.refunds
            )
        return views


def _matches(t: TransactionView, f: TransactionFilter) -> bool:
    return (
        (f.status is None or t.status == f.status)
        and (f.provider is None or t.provider == f.provider)
        and (f.kind is None or t.kind == f.kind)
        and (f.order_id is None or t.order_id == f.order_id)
        and (f.currency is None or t.currency == f.currency)
        and (f.created_after is None or t.created_at > f.created_after)
        and (f.created_before is None or t.created_at < f.created_before)
    )


# ---- the janitor's schedule and the reconciliation read side ----------------------------------------------
class FakeJanitorStore:
    """The SQL store's due rules over the committed payments, with the schedule kept in `FakeStore.schedule`."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store

    async def claim_due_payments(
        self, now: datetime, *, first_check_after: timedelta, lease: timedelta, limit: int
    ) -> list[DueCheck]:
        due = []
        for p in sorted(self._store.payments.values(), key=lambda p: p.id):
            checks, next_at = self._store.schedule.get(p.id, (0, None))
            never = next_at is None and (
                p.created_at <= now - first_check_after or (p.expires_at is not None and p.expires_at <= now)
            )
            if p.status.value in ("processing", "authorized") and (never or (next_at is not None and next_at <= now)):
                due.append(DueCheck(p.id, checks))
        return self._lease(due[:limit], now + lease)

    async def claim_due_refunds(
        self, now: datetime, *, first_check_after: timedelta, lease: timedelta, limit: int
    ) -> list[DueCheck]:
        due = []
        for p in sorted(self._store.payments.values(), key=lambda p: p.id):
            for r in p.refunds:
                checks, next_at = self._store.schedule.get(r.id, (0, None))
                never = next_at is None and r.created_at <= now - first_check_after
                if r.status is RefundStatus.PENDING and (never or (next_at is not None and next_at <= now)):
                    due.append(DueCheck(p.id, checks, r.id))
        return self._lease(due[:limit], now + lease)

    async def schedule_payment(self, payment_id: str, checks: int, next_check_at: datetime) -> None:
        self._store.schedule[payment_id] = (checks, next_check_at)

    async def schedule_refund(self, refund_id: str, checks: int, next_check_at: datetime) -> None:
        self._store.schedule[refund_id] = (checks, next_check_at)

    def _lease(self, due: list[DueCheck], until: datetime) -> list[DueCheck]:
        for d in due:
            self._store.schedule[d.refund_id or d.payment_id] = (d.checks, until)
        return due


class FakeReconciliation:
    """Remembers what it was asked and answers an empty summary (the SQL query is tested on real stores)."""

    def __init__(self) -> None:
        self.asked: list[tuple[datetime, datetime, datetime, int]] = []

    async def summary(
        self, since: datetime, until: datetime, stuck_before: datetime, sample_limit: int
    ) -> ReconciliationSummary:
        self.asked.append((since, until, stuck_before, sample_limit))
        empty = IdSample(0, ())
        return ReconciliationSummary(since, until, stuck_before, (), (), empty, (), Discrepancies(empty, empty, empty))

    async def overview(self, since: datetime, until: datetime, stuck_before: datetime, sample_limit: int) -> Overview:
        self.asked.append((since, until, stuck_before, sample_limit))
        return Overview(since, until, (), IdSample(0, ()), ())


# ---- stored webhook events: the worker's retry claims and the admin's log -----------------------------------
class FakeWebhookEvents:
    """WebhookRetryQueue and WebhookEventLog over the committed inbox rows, with the SQL store's rules."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store

    async def claim_due(
        self, worker_id: str, now: datetime, *, lease: timedelta, stale_before: datetime, limit: int
    ) -> list[StoredWebhook]:
        def due(row: InboxRow) -> bool:
            failed = row.status is InboxStatus.FAILED and row.next_attempt_at is not None and row.next_attempt_at <= now
            stale = row.status is InboxStatus.RECEIVED and row.received_at < stale_before
            return (failed or stale) and (row.claimed_until is None or row.claimed_until < now)

        rows = sorted(filter(due, self._store.inbox.values()), key=lambda r: (r.received_at, r.id))[:limit]
        for row in rows:
            row.claimed_by, row.claimed_until = worker_id, now + lease
        return [self._view(row) for row in rows]

    async def reschedule(self, entry_id: str, worker_id: str, next_attempt_at: datetime | None) -> None:
        row = self._store.inbox[entry_id]
        if row.claimed_by != worker_id:
            return
        row.claimed_by = row.claimed_until = None
        if next_attempt_at is not None and row.status is InboxStatus.FAILED:
            row.next_attempt_at = next_attempt_at

    async def bury(self, entry_id: str, worker_id: str, note: str, at: datetime) -> None:
        row = self._store.inbox[entry_id]
        if row.claimed_by == worker_id and row.status in (InboxStatus.FAILED, InboxStatus.RECEIVED):
            row.status, row.reason = InboxStatus.DEAD, f"{note}; last failure: {row.reason or 'unknown'}"
            row.processed_at, row.next_attempt_at, row.claimed_by, row.claimed_until = at, None, None, None

    async def release(self, worker_id: str) -> int:
        mine = [row for row in self._store.inbox.values() if row.claimed_by == worker_id]
        for row in mine:
            row.claimed_by = row.claimed_until = None
        return len(mine)

    async def get(self, entry_id: str) -> StoredWebhook | None:
        row = self._store.inbox.get(entry_id)
        return None if row is None else self._view(row)

    async def page(self, filters: WebhookEventFilter, limit: int, cursor: str | None) -> WebhookEventPage:
        rows = sorted(
            (
                r
                for r in self._store.inbox.values()
                if (filters.provider is None or r.provider == filters.provider)
                and (filters.status is None or r.status == filters.status)
            ),
            key=lambda r: (r.received_at, r.id),
            reverse=True,
        )
        if cursor is not None:
            ids = [r.id for r in rows]
            if cursor not in ids:
                raise InvalidCursor(cursor)
            rows = rows[ids.index(cursor) + 1 :]
        page = tuple(self._view(r) for r in rows[:limit])
        return WebhookEventPage(page, page[-1].id if len(rows) > limit else None)

    @staticmethod
    def _view(row: InboxRow) -> StoredWebhook:
        return StoredWebhook(
            row.id,
            row.provider,
            row.event_id,
            row.event_type,
            row.status,
            row.reason,
            row.payment_id,
            dict(row.headers),
            row.body,
            row.received_at,
            row.processed_at,
            row.attempts,
            row.next_attempt_at,
        )


# ---- metrics ------------------------------------------------------------------------------------------------
class FakeMetrics:
    """The Metrics port in memory: `counts[("checkout", "fake", "created")]` is how often that was counted."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, ...]] = Counter()

    def webhook_event(self, provider: str, outcome: WebhookOutcome) -> None:
        self.counts["webhook_event", provider, outcome] += 1

    def checkout(self, provider: str, outcome: CheckoutOutcome) -> None:
        self.counts["checkout", provider, outcome] += 1

    def capture(self, provider: str, outcome: str) -> None:
        self.counts[("capture", provider, outcome)] += 1

    def cancel(self, provider: str, outcome: str) -> None:
        self.counts[("cancel", provider, outcome)] += 1

    def refund(self, provider: str, outcome: RefundOutcome) -> None:
        self.counts["refund", provider, outcome] += 1

    def status_transition(self, from_status: str, to_status: str) -> None:
        self.counts["status_transition", from_status, to_status] += 1

    def notification(self, outcome: NotificationOutcome) -> None:
        self.counts["notification", outcome] += 1

    def risk_decision(self, decision: str) -> None:
        self.counts["risk_decision", str(decision)] += 1

    def of(self, kind: str) -> dict[tuple[str, ...], int]:
        """The counts of one kind, keyed by their labels."""
        return {key[1:]: n for key, n in self.counts.items() if key[0] == kind}


# ---- host names ------------------------------------------------------------------------------------------
class FakeResolver:
    """A DNS of known answers (a name it does not know does not resolve); remembers every name asked."""

    def __init__(self, answers: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self.answers = dict(answers or {})
        self.asked: list[str] = []

    async def resolve(self, host: str) -> tuple[str, ...]:
        self.asked.append(host)
        return self.answers.get(host, ())


# ---- the application, composed like production -----------------------------------------------------------
@dataclass
class Harness:
    """The bus of the production composition root, with fakes for every port (`fake_root`)."""

    store: FakeStore
    provider: FakeProvider
    providers: FakeProviders
    clock: FakeClock
    ids: FakeIds
    bus: MessageBus
    metrics: FakeMetrics = field(default_factory=FakeMetrics)

    async def send(self, message: Message[R]) -> R:
        return await self.bus.send(message)


class FakeOutbox:
    """The store's committed outbox rows as the relay sees them; `relayed` holds the ids marked relayed."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self.relayed: list[str] = []
        self.failed: list[tuple[str, str]] = []

    async def claim(self, worker: str, now: datetime, lease: timedelta, limit: int) -> list[OutboxMessage]:
        done = {*self.relayed, *(message_id for message_id, _ in self.failed)}
        rows = [row for row in self._store.outbox if row.id not in done][:limit]
        return [
            OutboxMessage(row.id, row.event, row.payment_id, {"type": row.event, "data": row.data}, now, 0)
            for row in rows
        ]

    async def mark_relayed(self, message_ids: Collection[str], now: datetime) -> None:
        self.relayed.extend(message_ids)

    async def mark_failed(self, message_id: str, error: str, next_attempt_at: datetime) -> None:
        self.failed.append((message_id, error))

    async def release(self, worker: str) -> None:
        return None

    async def pending_count(self) -> int:
        return len(self._store.outbox) - len(self.relayed)


class FakeCallbackSender:
    """Every receiver answers 200 and every post is remembered."""

    def __init__(self) -> None:
        self.posted: list[tuple[str, bytes]] = []

    async def post(self, url: str, body: bytes) -> DeliveryResult:
        self.posted.append((url, body))
        return DeliveryResult(200, 1, None)


def fake_root(
    store: FakeStore,
    providers: FakeProviders,
    *,
    clock: FakeClock | None = None,
    ids: FakeIds | None = None,
    metrics: FakeMetrics | None = None,
    unit_of_work: Callable[[], Any] | None = None,
    **adapters: object,
) -> Container:
    """The production composition root with a fake for every port (`adapters` override further providers by
    name, e.g. `notification_store=FakeNotificationStore()`). The real unit-of-work wrapping, port table and
    handler registry are used: only adapters are swapped."""
    root = Container(settings=Settings())
    make_uow = unit_of_work or (lambda: FakeUnitOfWork(store))
    root.store_unit_of_work.override(providers_.Callable(make_uow))
    fakes: dict[str, object] = {
        "payment_providers": providers,
        "read_model": FakeReadModel(store),
        "clock": clock or FakeClock(),
        "ids": ids or FakeIds(),
        "metrics": metrics or FakeMetrics(),
        "janitor_store": FakeJanitorStore(store),
        "reconciliation": FakeReconciliation(),
        "webhook_events": FakeWebhookEvents(store),
        "retry_policy": RetryPolicy(random=lambda: 1.0),
        "outbox": FakeOutbox(store),
        "callback_sender": FakeCallbackSender(),
        **adapters,
    }
    for name, fake in fakes.items():
        getattr(root, name).override(providers_.Object(fake))
    return root


def harness(*providers: FakeProvider, **adapters: object) -> Harness:
    """`providers` in routing order; by default one FakeProvider called "fake" (USD, EUR, JPY, KWD)."""
    enabled = FakeProviders(*(providers or (FakeProvider(),)))
    store, clock, ids, metrics = FakeStore(), FakeClock(), FakeIds(), FakeMetrics()
    root = fake_root(store, enabled, clock=clock, ids=ids, metrics=metrics, **adapters)
    return Harness(store, enabled.get(enabled.names()[0]), enabled, clock, ids, root.bus(), metrics)
