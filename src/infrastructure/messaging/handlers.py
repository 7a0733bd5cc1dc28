"""The handler table: every command and query type (HTTP use cases and worker jobs) and the one class that handles
it; and the shared application components handlers are built with."""

from collections.abc import Mapping
from typing import Any

from application.commands.cancel_payment import CancelPayment, CancelPaymentHandler
from application.commands.capture_payment import CapturePayment, CapturePaymentHandler
from application.commands.checkout_order import CheckoutOrder, CheckoutOrderHandler
from application.commands.handle_provider_webhook import HandleProviderWebhook, HandleProviderWebhookHandler
from application.commands.refund_payment import RefundPayment, RefundPaymentHandler
from application.commands.replay_webhook_event import ReplayWebhookEvent, ReplayWebhookEventHandler
from application.commands.retry_notification import RetryNotification, RetryNotificationHandler
from application.messages import Message
from application.queries.get_audit_trail import GetAuditTrail, GetAuditTrailHandler
from application.queries.get_notification import GetNotification, GetNotificationHandler
from application.queries.get_overview import GetOverview, GetOverviewHandler
from application.queries.get_payment import GetPayment, GetPaymentHandler
from application.queries.get_payment_messages import GetPaymentMessages, GetPaymentMessagesHandler
from application.queries.get_payment_status import GetPaymentStatus, GetPaymentStatusHandler
from application.queries.get_transaction import GetTransaction, GetTransactionHandler
from application.queries.get_webhook_event import GetWebhookEvent, GetWebhookEventHandler
from application.queries.list_notifications import ListNotifications, ListNotificationsHandler
from application.queries.list_transactions import ListTransactions, ListTransactionsHandler
from application.queries.list_webhook_events import ListWebhookEvents, ListWebhookEventsHandler
from application.queries.payments_per_hour import GetPaymentsPerHour, GetPaymentsPerHourHandler
from application.queries.reconciliation_summary import GetReconciliationSummary, GetReconciliationSummaryHandler
from application.refunds.refunder import Refunder
from application.routing.failover import CheckoutFailover
from application.webhooks.processor import WebhookProcessor
from application.worker.deliver_notifications import DeliverNotifications, DeliverNotificationsHandler
from application.worker.purge_webhook_bodies import PurgeWebhookBodies, PurgeWebhookBodiesHandler
from application.worker.relay_outbox import RelayOutbox, RelayOutboxHandler
from application.worker.release_leases import ReleaseLeases, ReleaseLeasesHandler
from application.worker.retry_failed_webhooks import RetryFailedWebhooks, RetryFailedWebhooksHandler
from application.worker.run_janitor import RunJanitor, RunJanitorHandler
from application.worker.unanswered_checkouts import UnansweredCheckouts

HANDLERS: Mapping[type[Message[Any]], type[Any]] = {
    CheckoutOrder: CheckoutOrderHandler,
    HandleProviderWebhook: HandleProviderWebhookHandler,
    RefundPayment: RefundPaymentHandler,
    CapturePayment: CapturePaymentHandler,
    CancelPayment: CancelPaymentHandler,
    GetPaymentStatus: GetPaymentStatusHandler,
    GetPayment: GetPaymentHandler,
    GetAuditTrail: GetAuditTrailHandler,
    ListTransactions: ListTransactionsHandler,
    GetTransaction: GetTransactionHandler,
    RunJanitor: RunJanitorHandler,
    GetReconciliationSummary: GetReconciliationSummaryHandler,
    GetPaymentsPerHour: GetPaymentsPerHourHandler,
    GetOverview: GetOverviewHandler,
    GetPaymentMessages: GetPaymentMessagesHandler,
    ListNotifications: ListNotificationsHandler,
    GetNotification: GetNotificationHandler,
    RetryNotification: RetryNotificationHandler,
    ReplayWebhookEvent: ReplayWebhookEventHandler,
    ListWebhookEvents: ListWebhookEventsHandler,
    GetWebhookEvent: GetWebhookEventHandler,
    RetryFailedWebhooks: RetryFailedWebhooksHandler,
    PurgeWebhookBodies: PurgeWebhookBodiesHandler,
    RelayOutbox: RelayOutboxHandler,
    DeliverNotifications: DeliverNotificationsHandler,
    ReleaseLeases: ReleaseLeasesHandler,
}

# Built per handler like handlers are (they hold a unit of work), injected where a use case shares their logic.
COMPONENTS: tuple[type[Any], ...] = (WebhookProcessor, Refunder, CheckoutFailover, UnansweredCheckouts)
