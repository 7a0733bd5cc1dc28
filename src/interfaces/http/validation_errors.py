"""Validation problems' `errors`: each failure as a JSON Pointer into the body (`{"pointer": "/amount", …}`) or
the query, path or header parameter it concerns (`{"parameter": "limit", …}`), from msgspec's and Litestar's
own error messages."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar.exceptions import ValidationException

from application.errors import CallbackUrlRefused, InvalidCursor
from domain.payments.errors import InvalidAmount
from domain.shared.money import UnknownCurrency
from interfaces.http.errors import InvalidParameter

_MSGSPEC_ERROR = re.compile(r"^(?P<message>.*?)(?: - at `(?P<path>[^`]*)`(?: in `(?P<container>[^`]*)`)?)?$", re.S)
_FIELD_NAMED = re.compile(r"^Object (?:missing required|contains unknown) field `(?P<field>[^`]*)`$")
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[\.\.\.\]")


def validation_errors(exc: BaseException) -> list[dict[str, str]]:
    if isinstance(exc, msgspec.ValidationError):
        return [_body_error(str(exc))]
    if isinstance(exc, ValidationException):
        return [_litestar_error(item) for item in (exc.extra if isinstance(exc.extra, list) else [])]
    if isinstance(exc, InvalidAmount):
        return [{"pointer": "/amount", "detail": str(exc)}]
    if isinstance(exc, UnknownCurrency):
        return [{"pointer": "/currency", "detail": str(exc)}]
    if isinstance(exc, CallbackUrlRefused):
        return [{"pointer": "/callback_url", "detail": exc.reason}]
    if isinstance(exc, InvalidCursor):
        return [{"parameter": "cursor", "detail": str(exc) or "not a cursor this API issued"}]
    if isinstance(exc, InvalidParameter):
        return [{"parameter": exc.name, "detail": exc.detail}]
    return []


def _body_error(message: str) -> dict[str, str]:
    """msgspec's "Expected `int` >= 1 - at `$.amount`" → {"pointer": "/amount", "detail": "Expected `int` >= 1"}."""
    match = _MSGSPEC_ERROR.match(message)
    assert match is not None  # the pattern matches any string
    text, path = match["message"], match["container"] or match["path"] or "$"
    pointer = json_pointer(path)
    if named := _FIELD_NAMED.match(text):
        pointer += "/" + _escape(named["field"])
    return {"pointer": pointer, "detail": text}


def json_pointer(msgspec_path: str) -> str:
    """`$.customer.email` → `/customer/email`, `$.items[1]` → `/items/1`, `$.metadata[...]` → `/metadata`."""
    parts = []
    for match in _PATH_PART.finditer(msgspec_path.removeprefix("$")):
        name, index = match.groups()
        if name is not None:
            parts.append(_escape(name))
        elif index is not None:
            parts.append(index)
    return "".join("/" + part for part in parts)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _litestar_error(item: Any) -> dict[str, str]:
    """Litestar's {"message", "key", "source"} → a pointer into the body or a parameter name."""
    if not isinstance(item, dict):
        return {"pointer": "", "detail": str(item)}
    key, source, message = str(item.get("key", "")), str(item.get("source", "")), str(item.get("message", ""))
    if source == "body" or not key:
        if key in ("", "data"):
            return {"pointer": "", "detail": "a JSON body is required"}
        return {"pointer": "/" + "/".join(_escape(part) for part in key.split(".")), "detail": message}
    return {"parameter": key, "detail": message}
