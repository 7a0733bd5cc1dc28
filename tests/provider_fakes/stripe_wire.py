"""Stripe's wire format for the fake Stripe API (stripe.py): form-encoded parameters with bracket keys, JSON
answers and errors, `expand[]`, the `Stripe-Signature` scheme, and what a recorded request and an event are.

Written from Stripe's documentation (https://docs.stripe.com/api), not from the adapter: nothing here imports
the code under test.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

API_VERSION = "2026-10-28.endive"
Send = Callable[[dict[str, Any]], Awaitable[None]]
# which store an id belongs to, by its prefix (`expand[]` follows ids into these)
PREFIXES = {"cs_": "sessions", "pi_": "payment_intents", "ch_": "charges", "re_": "refunds"}


@dataclass(frozen=True)
class Recorded:
    """One request as the fake received it."""

    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")


@dataclass(frozen=True)
class StripeEvent:
    id: str
    type: str
    body: bytes

    @property
    def object(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)["data"]["object"]
        return data


@dataclass
class Rule:
    """A switch tests set: the next `times` matching requests are late by `seconds`, or fail with `status`."""

    times: int
    path: str | None
    method: str | None
    seconds: float = 0.0
    status: int = 0
    message: str = ""
    code: str | None = None
    suffix: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return (
            self.times > 0
            and (self.method is None or self.method == method)
            and (self.path is None or path.startswith(self.path))
            and (self.suffix is None or path.endswith(self.suffix))
        )


class StripeApiError(Exception):
    def __init__(self, status: int, message: str, *, kind: str = "invalid_request_error", **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": kind, "message": message, **{k: v for k, v in extra.items() if v}}}


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def parse_form(raw: str) -> dict[str, Any]:
    """`a[b][0][c]=1` → `{"a": {"b": [{"c": "1"}]}}`: Stripe's form encoding of nested parameters."""
    result: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        path = [key.split("[", 1)[0], *re.findall(r"\[([^\]]*)\]", key)]
        node = result
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    listified: dict[str, Any] = _listify(result)
    return listified


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    items = {k: _listify(v) for k, v in value.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def expanded(obj: dict[str, Any], paths: Any, stores: Mapping[str, Mapping[str, dict[str, Any]]]) -> dict[str, Any]:
    """A copy of `obj` with each `expand[]` path (`latest_charge`, `payment_intent.latest_charge`) turned from an
    id into the object it names (https://docs.stripe.com/api/expanding_objects)."""
    result = copy.deepcopy(obj)
    for path in paths if isinstance(paths, list) else []:
        node: Any = result
        for key in str(path).split("."):
            if not isinstance(node, dict):
                break
            value = node.get(key)
            if isinstance(value, str):
                store = next((stores[name] for prefix, name in PREFIXES.items() if value.startswith(prefix)), {})
                if value in store:
                    node[key] = value = copy.deepcopy(store[value])
            node = value
    return result


def stripe_signature(secret: str, body: bytes, timestamp: int) -> str:
    """Stripe's scheme, written out independently of the code under test (https://docs.stripe.com/webhooks)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


async def respond(send: Send, status: int, payload: Any, extra_headers: dict[str, str] | None = None) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"request-id", new_id("req").encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra_headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
