"""A console action runs once per form submission, through the API's idempotency store.

Each action form carries a random key (a hidden field, made when the form was rendered). The first post with it
claims the key, runs the command and records the outcome; a double click or a resubmitted form finds the key
taken and runs nothing again (the browser is sent to the result). The same store and rules as the API's
`Idempotency-Key` (per key name, 24 h), under a `console:` prefix so it never meets a key an API client chose.
An action that fails releases the key: it changed nothing, so sending the form again is safe.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any

from application.data.idempotency import StoredResponse
from application.errors import IdempotencyKeyInUse
from interfaces.admin.form_errors import FormNotUnderstood
from interfaces.admin.session import posted_form
from interfaces.http.root import root_of

if TYPE_CHECKING:
    from litestar import Request

    from interfaces.admin.session import Console

FORM_KEY_FIELD = "form_key"
_VALID = re.compile(r"[A-Za-z0-9_-]{16,128}")


class Outcome(Enum):
    DONE = "done"  # ran now
    ALREADY_DONE = "already_done"  # this form was sent before and ran then
    IN_PROGRESS = "in_progress"  # this form is running right now (a double click)


class FormKeyMissing(FormNotUnderstood):
    """The form lost its one-time key: it was not made by this console."""


def form_key(fields: Mapping[str, str]) -> str:
    """The form's one-time key, checked (a multi-step form carries it on to its last step)."""
    key = fields.get(FORM_KEY_FIELD, "")
    if not _VALID.fullmatch(key):
        raise FormKeyMissing("The form is incomplete. Open the page again and use its form.")
    return key


async def posted_action(
    request: Request[Any, Any, Any],
    console: Console,
    scope: str,
    action: Callable[[Mapping[str, str]], Awaitable[object]],
) -> Outcome:
    """A console action as every form sends it: the CSRF token checked, the scope required, then `action` (given
    the form's fields) run once for this form."""
    fields = await posted_form(request, console)
    console.require(scope)
    return await once(request, console, fields, lambda: action(fields))


async def once(
    request: Request[Any, Any, Any],
    console: Console,
    fields: Mapping[str, str],
    action: Callable[[], Awaitable[object]],
) -> Outcome:
    root = root_of(request)
    store, key = root.idempotency(), f"console:{form_key(fields)}"
    try:
        stored = await store.begin(console.actor, key, _fingerprint(request, fields), root.clock().now())
    except IdempotencyKeyInUse:
        return Outcome.IN_PROGRESS
    if stored is not None:
        return Outcome.ALREADY_DONE
    try:
        await action()
    except BaseException:
        await store.release(console.actor, key)
        raise
    await store.complete(console.actor, key, StoredResponse(303, b"", "text/html"), root.clock().now())
    return Outcome.DONE


def _fingerprint(request: Request[Any, Any, Any], fields: Mapping[str, str]) -> str:
    """What was asked: the path and the form's fields, so the same key with other fields is a different request
    (refused by the store as a reuse)."""
    digest = hashlib.sha256(request.scope["path"].encode())
    for name in sorted(fields):
        digest.update(f"\n{name}={fields[name]}".encode())
    return digest.hexdigest()
