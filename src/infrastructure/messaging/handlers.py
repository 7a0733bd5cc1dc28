"""The handler table: every command and query type and the one class that handles it."""

from collections.abc import Mapping
from typing import Any

from application.commands.checkout_order import CheckoutOrder, CheckoutOrderHandler
from application.commands.handle_provider_webhook import HandleProviderWebhook, HandleProviderWebhookHandler
from application.commands.refund_payment import RefundPayment, RefundPaymentHandler
from application.messages import Message
from application.queries.get_audit_trail import GetAuditTrail, GetAuditTrailHandler
from application.queries.get_payment import GetPayment, GetPaymentHandler
from application.queries.get_payment_status import GetPaymentStatus, GetPaymentStatusHandler
from application.queries.get_transaction import GetTransaction, GetTransactionHandler
from application.queries.list_transactions import ListTransactions, ListTransactionsHandler

HANDLERS: Mapping[type[Message[Any]], type[Any]] = {
    CheckoutOrder: CheckoutOrderHandler,
    HandleProviderWebhook: HandleProviderWebhookHandler,
    RefundPayment: RefundPaymentHandler,
    GetPaymentStatus: GetPaymentStatusHandler,
    GetPayment: GetPaymentHandler,
    GetAuditTrail: GetAuditTrailHandler,
    ListTransactions: ListTransactionsHandler,
    GetTransaction: GetTransactionHandler,
}
