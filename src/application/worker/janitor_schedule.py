"""The janitor's timing: when a stuck payment or refund is asked about again, and when a checkout is given up."""

from __future__ import annotations

from datetime import timedelta

from application.webhooks.reverification import PULLED_BY

JANITOR = "janitor"
CHECK_GAPS: tuple[timedelta, ...] = (
    timedelta(minutes=15),  # after the 1st check
    timedelta(hours=1),  # after the 2nd
    timedelta(hours=6),  # after the 3rd …
    timedelta(hours=6),
    timedelta(hours=6),
    timedelta(hours=6),  # … to the 6th: a day of six-hourly checks
)
"""The wait before the next check, indexed by how many checks were already made (the first check comes
`FIRST_CHECK_AFTER` after the payment or refund was created). Past the end of the table: `DAILY`.

    check n   | 1     | 2      | 3    | 4-6        | 7 and later
    made at   | +5 m  | +15 m  | +1 h | every 6 h  | daily
"""
FIRST_CHECK_AFTER = timedelta(minutes=5)
DAILY = timedelta(days=1)
EXPIRY_GRACE = timedelta(minutes=10)
"""A checkout past `expires_at + EXPIRY_GRACE` that the provider still reports nothing final about can no longer
be paid: the janitor expires it. The grace covers clock skew and a payment completed at the last second."""
NO_EXPIRY_MAX_AGE = timedelta(days=1)
"""A processing payment without `expires_at` (no checkout session was attached) is treated as expiring then."""
CAPTURE_ANSWER_WAIT = timedelta(minutes=5)
"""A capture the provider still shows as not made this long after we asked never reached it (providers capture
within the call, or show the capture pending): it failed, and the hold may be captured again."""
LEASE = timedelta(minutes=5)
"""How long a claimed row is hidden from other workers while this one asks its provider."""
BATCH = 100
MISSED_EVENTS_WINDOW = timedelta(days=3)
"""How far back each pass asks for undelivered events: Stripe retries a webhook for 3 days, so anything older
was either delivered or has long been settled by the lookups."""
PULLED_HEADERS = {PULLED_BY: JANITOR}
"""Stored as the inbox row's headers: the event came from the provider's authenticated API, not a webhook."""


def next_gap(checks_made: int) -> timedelta:
    """The wait after the `checks_made`-th check (1-based) before the next one."""
    index = checks_made - 1
    return CHECK_GAPS[index] if 0 <= index < len(CHECK_GAPS) else DAILY
