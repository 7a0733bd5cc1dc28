"""Admin console sessions in the database (table `admin_sessions`), on SQLite and Postgres alike.

Only SHA-256 digests of the cookie's token and of the signed-in key are stored: the token is a random 256-bit
secret, so a plain hash suffices and a leaked table opens no session. A session whose stored key was revoked
is over (the lookup checks the key's row); one idle for longer than the idle limit is over too, and idle rows
are purged whenever a session starts.

A session found is remembered in memory for `CACHE_SECONDS` (5 s), as API keys are: a page view then costs no
session read. Signing out is immediate in the process that does it; a sign-out or a revocation elsewhere takes
effect here within that window.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa

from application.data.admin_sessions import AdminSession
from application.data.api_keys import Caller
from infrastructure.db.sql.runner import Runner
from infrastructure.db.tables import admin_sessions, api_keys

IDLE_LIMIT = timedelta(hours=8)  # API.md: a session ends after 8 hours idle
TOUCH_EVERY = timedelta(minutes=1)
CACHE_SECONDS = 5.0
_CACHE_LIMIT = 10_000  # sessions remembered at once; beyond it the cache starts again (it is only a shortcut)  # how stale `last_seen_at` may get before a page view writes it again

_START = sa.insert(admin_sessions).values(
    {
        column: sa.bindparam(column, type_=admin_sessions.c[column].type)
        for column in ("token_hash", "key_name", "key_hash", "scopes", "csrf_token", "created_at", "last_seen_at")
    }
)
_PURGE_IDLE = sa.delete(admin_sessions).where(
    admin_sessions.c.last_seen_at < sa.bindparam("idle_before", type_=admin_sessions.c.last_seen_at.type)
)
_key_revoked = (
    sa.select(api_keys.c.id)
    .where(api_keys.c.key_hash == admin_sessions.c.key_hash, api_keys.c.revoked_at.is_not(None))
    .exists()
)
_FIND = sa.select(
    admin_sessions.c.key_name, admin_sessions.c.scopes, admin_sessions.c.csrf_token, admin_sessions.c.last_seen_at
).where(
    admin_sessions.c.token_hash == sa.bindparam("token_hash"),
    admin_sessions.c.last_seen_at >= sa.bindparam("idle_before", type_=admin_sessions.c.last_seen_at.type),
    ~_key_revoked,
)
_TOUCH = (
    sa.update(admin_sessions)
    .where(admin_sessions.c.token_hash == sa.bindparam("token_hash"))
    .values(last_seen_at=sa.bindparam("now", type_=admin_sessions.c.last_seen_at.type))
)
_END = sa.delete(admin_sessions).where(admin_sessions.c.token_hash == sa.bindparam("token_hash"))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class SqlAdminSessionStore:
    def __init__(
        self,
        database: Runner,
        idle: timedelta = IDLE_LIMIT,
        *,
        cache_seconds: float = CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db, self._idle = database, idle
        self._cache_seconds, self._monotonic = cache_seconds, monotonic
        self._cache: dict[str, tuple[AdminSession, float]] = {}  # token hash → (session, valid until)

    async def start(self, token: str, caller: Caller, raw_key: str, csrf_token: str, now: datetime) -> None:
        await self._db.execute(_PURGE_IDLE, idle_before=now - self._idle)
        await self._db.execute(
            _START,
            token_hash=_digest(token),
            key_name=caller.name,
            key_hash=_digest(raw_key),
            scopes=sorted(caller.scopes),
            csrf_token=csrf_token,
            created_at=now,
            last_seen_at=now,
        )

    async def find(self, token: str, now: datetime) -> AdminSession | None:
        token_hash, clock = _digest(token), self._monotonic()
        cached = self._cache.get(token_hash)
        if cached is not None and cached[1] > clock:
            return cached[0]
        row = await self._db.fetch_one(_FIND, token_hash=token_hash, idle_before=now - self._idle)
        if row is None:
            self._cache.pop(token_hash, None)
            return None
        if now - row["last_seen_at"] >= TOUCH_EVERY:
            await self._db.execute(_TOUCH, token_hash=token_hash, now=now)
        session = AdminSession(
            Caller(row["key_name"], frozenset(row["scopes"])), row["csrf_token"], row["last_seen_at"]
        )
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[token_hash] = (session, clock + self._cache_seconds)
        return session

    def forget_remembered(self) -> None:
        self._cache.clear()

    async def end(self, token: str) -> None:
        self._cache.pop(_digest(token), None)
        await self._db.execute(_END, token_hash=_digest(token))
