"""API keys from configuration and from the database (created with the CLI), stored as SHA-256 digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from application.data.api_keys import SCOPES, ApiKeyInfo, Caller
from application.ports.ids import IdGenerator
from infrastructure.db.conflicts import insert_or_ignore
from infrastructure.db.sql.runner import PerDialect, Runner
from infrastructure.db.tables import api_keys
from infrastructure.settings import ConfiguredApiKey

KEY_PREFIX = "pay_sk_"
SHOWN_PREFIX_LENGTH = 12  # "pay_sk_" and 5 random characters: recognisable, useless to an attacker
CACHE_SECONDS = 5.0
LAST_USED_EVERY_SECONDS = 60.0  # `last_used_at` is to the minute: at most one write a minute per key and process


_CREATED = ("id", "name", "key_hash", "prefix", "scopes", "created_at")


def _create(dialect: Dialect) -> sa.Insert:
    """A name already in use inserts nothing (and returns no row): the caller says so, whichever store it is."""
    insert = insert_or_ignore(dialect.name, api_keys, ("name",))
    return insert.values({name: sa.bindparam(name) for name in _CREATED}).returning(api_keys.c.id)


_CREATE = PerDialect(_create)
_LIST = sa.select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id)
_REVOKE = (
    sa.update(api_keys)
    .where(
        sa.or_(api_keys.c.id == sa.bindparam("name_or_id"), api_keys.c.name == sa.bindparam("name_or_id")),
        api_keys.c.revoked_at.is_(None),
    )
    .values(revoked_at=sa.bindparam("now", type_=api_keys.c.revoked_at.type))
    .returning(api_keys.c.key_hash)
)
_LAST_USED = (
    sa.update(api_keys)
    .where(api_keys.c.key_hash == sa.bindparam("key_hash"))
    .values(last_used_at=sa.bindparam("now", type_=api_keys.c.last_used_at.type))
)
_CALLER = sa.select(api_keys.c.name, api_keys.c.scopes).where(
    api_keys.c.key_hash == sa.bindparam("key_hash"), api_keys.c.revoked_at.is_(None)
)


def key_digest(raw_key: str) -> bytes:
    return hashlib.sha256(raw_key.encode()).digest()


class SqlApiKeyStore:
    """Configured keys are checked against their digests with `hmac.compare_digest` (constant time). Database
    keys are looked up by the hex SHA-256 of the presented key: the keys are random 256-bit secrets, so a plain
    hash suffices (no salt or slow hash needed) and an index lookup leaks nothing useful.

    Successful database lookups are cached in memory for `cache_seconds` (5 s) so authentication stays off
    the hot path. A revocation is therefore immediate in the process that revokes, and takes effect in other
    processes within that window. Failed lookups are not cached: a new key works at once.
    """

    def __init__(
        self,
        database: Runner,
        ids: IdGenerator,
        configured: tuple[ConfiguredApiKey, ...] = (),
        *,
        cache_seconds: float = CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db, self._ids = database, ids
        self._configured = tuple((key_digest(k.key), Caller(k.name, frozenset(k.scopes))) for k in configured)
        self._configured_names = frozenset(k.name for k in configured)
        self._cache_seconds, self._monotonic = cache_seconds, monotonic
        self._cache: dict[str, tuple[Caller, float]] = {}  # key hash → (caller, valid until)
        self._wall_clock = wall_clock
        self._last_used_written: dict[str, float] = {}  # key hash → when this process last wrote last_used_at

    async def authenticate(self, raw_key: str) -> Caller | None:
        digest = key_digest(raw_key)
        configured = None
        for expected, caller in self._configured:  # no early exit: the time spent does not depend on the match
            if hmac.compare_digest(digest, expected):
                configured = caller
        if configured is not None:
            return configured
        return await self._stored_caller(digest.hex())

    async def create(self, name: str, scopes: tuple[str, ...], now: datetime) -> tuple[ApiKeyInfo, str]:
        """Raises ValueError for an unknown scope or a name already in use (configured or stored)."""
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown or not scopes:
            raise ValueError(f"scopes must be chosen from {', '.join(SCOPES)}; got {', '.join(scopes) or 'none'}")
        if name in self._configured_names:
            raise ValueError(f"an API key named {name!r} is already configured in PAYMENTS_API_KEYS")
        raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
        info = ApiKeyInfo(self._ids.new("key"), name, tuple(scopes), now, None, raw_key[:SHOWN_PREFIX_LENGTH])
        created = await self._db.write(
            _CREATE,
            id=info.id,
            name=name,
            key_hash=key_digest(raw_key).hex(),
            prefix=info.prefix,
            scopes=list(scopes),
            created_at=now,
        )
        if not created:
            raise ValueError(f"an API key named {name!r} already exists")
        return info, raw_key

    async def list(self) -> list[ApiKeyInfo]:
        return [_info(row) for row in await self._db.fetch(_LIST)]

    async def revoke(self, name_or_id: str, now: datetime) -> bool:
        revoked = await self._db.write(_REVOKE, name_or_id=name_or_id, now=now)
        for row in revoked:
            self._cache.pop(row["key_hash"], None)
        return bool(revoked)

    async def _stored_caller(self, key_hash: str) -> Caller | None:
        now = self._monotonic()
        cached = self._cache.get(key_hash)
        if cached is not None and cached[1] > now:
            await self._note_use(key_hash, now)
            return cached[0]
        row = await self._db.fetch_one(_CALLER, key_hash=key_hash)
        if row is None:
            self._cache.pop(key_hash, None)
            return None
        caller = Caller(row["name"], frozenset(row["scopes"]))
        self._cache[key_hash] = (caller, now + self._cache_seconds)
        await self._note_use(key_hash, now)
        return caller

    async def _note_use(self, key_hash: str, now: float) -> None:
        """Records that a stored key was used: cheap enough for every request, because it writes at most once a
        minute per key (the API keys page shows "last used" to the minute)."""
        written = self._last_used_written.get(key_hash)
        if written is not None and now - written < LAST_USED_EVERY_SECONDS:
            return
        self._last_used_written[key_hash] = now
        await self._db.execute(_LAST_USED, key_hash=key_hash, now=self._wall_clock())


def _info(row: Mapping[str, Any]) -> ApiKeyInfo:
    return ApiKeyInfo(
        id=row["id"],
        name=row["name"],
        scopes=tuple(row["scopes"]),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        prefix=row["prefix"],
        last_used_at=row["last_used_at"],
    )
