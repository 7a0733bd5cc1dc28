"""What a page says after an action redirected to it (`?done=<code>`): fixed texts, so nothing a link carries is
ever shown as it came."""

from __future__ import annotations

from interfaces.admin.once import Outcome

NOTICES = {
    "refund": "Refund requested. It shows as pending until the provider confirms it.",
    "capture": "Capture sent to the provider.",
    "cancel": "Payment cancelled.",
    "replay": "Webhook event replayed; its status below is the outcome.",
    "retry": "Callback queued for delivery now.",
    "reconciliation": "Reconciliation ran; the results are below.",
    "revoked": "Key revoked. It stops working within seconds everywhere.",
    Outcome.ALREADY_DONE.value: "This form was already sent once; it was not run again.",
    Outcome.IN_PROGRESS.value: "This form is still being processed; refresh in a moment to see the result.",
}


def notice_for(code: str | None) -> str | None:
    return NOTICES.get(code or "")


def done(code: str, outcome: Outcome) -> str:
    """The `done` code a redirect carries for an action's outcome."""
    return code if outcome is Outcome.DONE else outcome.value
