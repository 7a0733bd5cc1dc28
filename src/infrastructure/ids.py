"""Sortable ids: `<prefix>_<26 Crockford base32 chars>` from a UUIDv7 (48-bit millisecond time + randomness).

Ids made later sort after earlier ones, also within one millisecond (a monotonic counter fills the random
bits' top), so primary-key indexes stay append-mostly and keyset cursors stay cheap.
"""

import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


_PAIRS = tuple(first + second for first in _ALPHABET for second in _ALPHABET)  # every 10-bit value as 2 digits
_SHIFTS = tuple(range(120, -1, -10))  # 13 pairs: 26 digits, 130 bits, most significant first


def _encode(value: int) -> str:
    """26 base-32 digits of `value` (< 2**130), two at a time: half the CPU of one divmod per digit, and an id is
    made several times per webhook and checkout."""
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in _SHIFTS])


class SortableIdGenerator:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0

    def new(self, prefix: str) -> str:
        with self._lock:
            now_ms = time.time_ns() // 1_000_000
            if now_ms <= self._last_ms:
                now_ms, self._counter = self._last_ms, self._counter + 1
                if self._counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                    now_ms, self._counter = now_ms + 1, 0
            else:
                self._counter = int.from_bytes(os.urandom(2), "big") >> 5  # start low: room to count up
            self._last_ms, counter = now_ms, self._counter
        random_tail = int.from_bytes(os.urandom(8), "big") >> 2  # 62 bits
        uuid7 = (now_ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | random_tail
        return f"{prefix}_{_encode(uuid7)}"
