"""Recently read payment statuses, by order id, trusted only while a change feed vouches for them.

`GET /orders/{id}/payment-status` is a polling endpoint: an order system asks about each order in flight again
and again while its customer pays. Answering a repeat from memory saves the database round trip, which costs
this process more CPU than the whole rest of the request (bench/).

Correctness rests on three rules:
- The cache is *live* only while `PostgresPaymentChangeFeed` listens for the database's change notifications
  (the order id of every commit that touches `payments` or `refunds`, sent after it by the service process that
  made it, or by a trigger for any other writer). Before the feed is up, while it reconnects, and after it
  stops, every read goes to the database and nothing is kept.
- Every invalidation (and going live or offline) moves the *epoch*. A read stores its answer only if the epoch
  did not move while it was reading: an answer read before a concurrent commit cannot outlive that commit's
  notification, whichever arrives first.
- Entries expire after `ttl_seconds` whatever happens, which bounds the damage of a change nobody announced (a
  service process that died right after its commit, a restore with triggers disabled).

An order with no payment is not cached (the next checkout would have to beat its own notification). Eviction
is oldest-stored first: a bounded dict, no bookkeeping on a hit.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from application.views import PaymentStatusView


class StatusCache:
    __slots__ = ("_clock", "_entries", "_epoch", "_live", "_max_entries", "_ttl")

    def __init__(self, max_entries: int, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1 or ttl_seconds <= 0:
            raise ValueError("a status cache needs at least one entry and a positive time to live")
        self._max_entries, self._ttl, self._clock = max_entries, ttl_seconds, clock
        self._entries: dict[str, tuple[float, PaymentStatusView]] = {}
        self._epoch = 0
        self._live = False

    @property
    def live(self) -> bool:
        return self._live

    @property
    def epoch(self) -> int:
        """Take it before reading the store; hand it to `put` with what was read."""
        return self._epoch

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, order_id: str) -> PaymentStatusView | None:
        found = self._entries.get(order_id)
        if found is None:
            return None
        expires, view = found
        if expires <= self._clock():
            self._entries.pop(order_id, None)
            return None
        return view

    def put(self, order_id: str, view: PaymentStatusView, epoch: int) -> None:
        """Keeps `view` unless the cache is not live or anything was invalidated since `epoch` was taken."""
        if not self._live or epoch != self._epoch:
            return
        entries = self._entries
        if order_id not in entries and len(entries) >= self._max_entries:
            del entries[next(iter(entries))]  # the oldest stored
        entries[order_id] = (self._clock() + self._ttl, view)

    def invalidate(self, order_id: str) -> None:
        self._epoch += 1
        self._entries.pop(order_id, None)

    def go_live(self) -> None:
        """The feed listens from now on: what was kept before may have missed changes, so start empty."""
        self._epoch += 1
        self._entries.clear()
        self._live = True

    def go_offline(self) -> None:
        """The feed stopped listening: changes may go unseen, so keep nothing and answer nothing."""
        self._live = False
        self._epoch += 1
        self._entries.clear()
