"""Stripe-style `Idempotency-Key` for the write endpoints that call it (checkout: optional; refund: required).

Per API key (the caller's name), the store keeps a fingerprint of the request (sha256 of method, path and raw
body) and the final response for 24 hours:
- same key, same request, finished    → the stored response again, with `Idempotent-Replayed: true`;
- same key, different request          → 422 idempotency-key-reuse (raised by the store);
- same key while the first still runs  → 409 idempotency-key-in-use (raised by the store).
2xx and 4xx outcomes are stored (a 4xx is a final answer about that request); a 5xx or an interrupted request
releases the key so the client can retry it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
from litestar import Response
from litestar.params import HeaderParameter

from application.data.idempotency import StoredResponse
from interfaces.http.errors import IdempotencyKeyRequired, InvalidParameter
from interfaces.http.problems import PROBLEM_JSON, problem_type_for, render_problem
from interfaces.http.root import root_of

if TYPE_CHECKING:
    from litestar import Request

    from application.data.api_keys import Caller

IDEMPOTENCY_KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
_JSON = "application/json"
_VALID_KEY = re.compile(r"[\x20-\x7e]{1,255}")

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name=IDEMPOTENCY_KEY,
        pattern=r"^[ -~]{1,255}$",  # documented for clients; `idempotent` checks it again before using the key
        description="Up to 255 printable ASCII characters, unique per request you mean (kept 24 h per API key)",
    ),
]


@dataclass(frozen=True, slots=True)
class JsonResult:
    """What a controller answers: a status, a msgspec Struct body, and optionally a Location."""

    status: int
    body: Any
    location: str | None = None


Action = Callable[[], Awaitable[JsonResult]]


async def idempotent(
    request: Request[Any, Any, Any], caller: Caller, key: str | None, action: Action, *, required: bool
) -> Response[bytes]:
    if key is None:
        if required:
            raise IdempotencyKeyRequired()
        return _json_response(await action())
    if not _VALID_KEY.fullmatch(key):
        raise InvalidParameter(IDEMPOTENCY_KEY, "must be 1 to 255 printable ASCII characters")
    root = root_of(request)
    store, clock = root.idempotency(), root.clock()
    stored = await store.begin(caller.name, key, await fingerprint(request), clock.now())
    if stored is not None:
        return _replay(stored)
    try:
        result = await action()
    except Exception as error:
        if problem_type_for(error).status >= 500:
            await store.release(caller.name, key)
            raise
        problem, body = render_problem(request, error)
        await store.complete(caller.name, key, StoredResponse(problem.status, body, PROBLEM_JSON), clock.now())
        return Response(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers)
    except BaseException:  # cancelled (client gone, shutdown): the request never finished
        await store.release(caller.name, key)
        raise
    response = _json_response(result)
    await store.complete(
        caller.name, key, StoredResponse(result.status, response.content, _JSON, result.location), clock.now()
    )
    return response


async def fingerprint(request: Request[Any, Any, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(request.scope["method"].encode())
    digest.update(b"\n")
    digest.update(request.scope["path"].encode())
    digest.update(b"\n")
    digest.update(await request.body())
    return digest.hexdigest()


def _json_response(result: JsonResult) -> Response[bytes]:
    headers = {"Location": result.location} if result.location else None
    return Response(msgspec.json.encode(result.body), status_code=result.status, media_type=_JSON, headers=headers)


def _replay(stored: StoredResponse) -> Response[bytes]:
    headers = {REPLAYED: "true"}
    if stored.location:
        headers["Location"] = stored.location
    return Response(stored.body, status_code=stored.status, media_type=stored.content_type, headers=headers)
