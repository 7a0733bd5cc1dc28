"""Rate limits against the real Redis (PAYMENTS_TEST_REDIS_URL, default the local server): skipped with the
reason shown when it cannot be reached, a failure instead when PAYMENTS_TEST_REQUIRE_BROKERS=1 (CI)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.integration.broker.conftest import REDIS_URL, _redis_unreachable_reason, _skip_or_fail


@pytest.fixture(scope="session")
def redis_url() -> str:
    _skip_or_fail(asyncio.run(_redis_unreachable_reason()))
    return REDIS_URL


@pytest.fixture
def subject() -> str:
    """A key of this test's own: runs never share rate-limit state (keys expire by themselves)."""
    return f"test-{uuid.uuid4().hex}"
