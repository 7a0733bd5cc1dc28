"""GET /api/v1/reconciliation/summary and POST /api/v1/reconciliation/runs."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct

from application.data.reconciliation import IdSample, MoneyGroup, ReconciliationSummary, WebhookTrouble
from application.worker.janitor_report import JanitorChange, JanitorError, JanitorReport
from interfaces.http.schemas.common import utc


class MoneyGroupResponse(Struct, kw_only=True):
    provider: str
    status: str
    currency: str
    count: int
    amount: int  # minor units

    @classmethod
    def of(cls, g: MoneyGroup) -> MoneyGroupResponse:
        return cls(provider=g.provider, status=g.status, currency=g.currency, count=g.count, amount=g.amount)


class IdSampleResponse(Struct, kw_only=True):
    count: int
    ids: list[str]  # the oldest ones, at most 50

    @classmethod
    def of(cls, s: IdSample) -> IdSampleResponse:
        return cls(count=s.count, ids=list(s.ids))


class WebhookTroubleResponse(Struct, kw_only=True):
    provider: str
    status: str
    count: int

    @classmethod
    def of(cls, t: WebhookTrouble) -> WebhookTroubleResponse:
        return cls(provider=t.provider, status=t.status, count=t.count)


class StuckPaymentsResponse(IdSampleResponse, kw_only=True):
    older_than: datetime  # processing since before this moment


class DiscrepanciesResponse(Struct, kw_only=True):
    over_refunded: IdSampleResponse
    paid_without_confirmation: IdSampleResponse
    refunds_stuck_pending: IdSampleResponse
    paid_after_cancel: IdSampleResponse  # succeeded after we had cancelled or expired them


class ReconciliationSummaryResponse(Struct, kw_only=True):
    hours_back: int
    since: datetime
    until: datetime
    payments: list[MoneyGroupResponse]
    refunds: list[MoneyGroupResponse]
    stuck_payments: StuckPaymentsResponse
    webhook_events: list[WebhookTroubleResponse]  # failed or dead, by provider
    discrepancies: DiscrepanciesResponse

    @classmethod
    def from_view(cls, v: ReconciliationSummary, hours_back: int) -> ReconciliationSummaryResponse:
        d = v.discrepancies
        return cls(
            hours_back=hours_back,
            since=utc(v.since),
            until=utc(v.until),
            payments=[MoneyGroupResponse.of(g) for g in v.payments],
            refunds=[MoneyGroupResponse.of(g) for g in v.refunds],
            stuck_payments=StuckPaymentsResponse(
                count=v.stuck_payments.count, ids=list(v.stuck_payments.ids), older_than=utc(v.stuck_before)
            ),
            webhook_events=[WebhookTroubleResponse.of(t) for t in v.webhook_events],
            discrepancies=DiscrepanciesResponse(
                over_refunded=IdSampleResponse.of(d.over_refunded),
                paid_without_confirmation=IdSampleResponse.of(d.paid_without_confirmation),
                refunds_stuck_pending=IdSampleResponse.of(d.refunds_stuck_pending),
                paid_after_cancel=IdSampleResponse.of(d.paid_after_cancel),
            ),
        )


class JanitorChangeResponse(Struct, kw_only=True):
    payment_id: str
    refund_id: str | None
    from_status: str
    to_status: str
    provider_event_id: str | None

    @classmethod
    def of(cls, c: JanitorChange) -> JanitorChangeResponse:
        return cls(
            payment_id=c.payment_id,
            refund_id=c.refund_id,
            from_status=c.from_status,
            to_status=c.to_status,
            provider_event_id=c.provider_event_id,
        )


class JanitorErrorResponse(Struct, kw_only=True):
    payment_id: str
    refund_id: str | None
    error: str

    @classmethod
    def of(cls, e: JanitorError) -> JanitorErrorResponse:
        return cls(payment_id=e.payment_id, refund_id=e.refund_id, error=e.error)


class JanitorRunResponse(Struct, kw_only=True):
    started_at: datetime
    finished_at: datetime
    checked: int
    checked_payments: int
    checked_refunds: int
    rescheduled: int
    pulled_events: int  # undelivered events pulled back from providers' APIs this pass
    new_events: int  # of those, the ones not already in the webhook inbox
    changed: list[JanitorChangeResponse]
    errors: list[JanitorErrorResponse]

    @classmethod
    def from_report(cls, r: JanitorReport) -> JanitorRunResponse:
        return cls(
            started_at=utc(r.started_at),
            finished_at=utc(r.finished_at),
            checked=r.checked,
            checked_payments=r.checked_payments,
            checked_refunds=r.checked_refunds,
            rescheduled=r.rescheduled,
            pulled_events=r.pulled_events,
            new_events=r.new_events,
            changed=[JanitorChangeResponse.of(c) for c in r.changed],
            errors=[JanitorErrorResponse.of(e) for e in r.errors],
        )
