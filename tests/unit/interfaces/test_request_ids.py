"""Request ids: 32 hex digits, never repeated because someone seeded the `random` module (tests and libraries do)."""

from __future__ import annotations

import os
import random
import re

from interfaces.http.request_context import new_request_id


def test_an_id_is_32_lower_case_hex_digits() -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", new_request_id())


def test_seeding_the_random_module_does_not_repeat_ids() -> None:
    random.seed(1234)
    first = new_request_id()
    random.seed(1234)
    second = new_request_id()

    assert first != second


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: writes the id it makes next, and leaves without running the test session's cleanup
        os.write(write_end, new_request_id().encode())
        os._exit(0)
    os.close(write_end)
    parent_next = new_request_id()
    child_next = os.read(read_end, 64).decode()
    os.close(read_end)
    os.waitpid(pid, 0)

    assert len(child_next) == 32
    assert child_next != parent_next  # without the reseed both would draw the same state's next bits
