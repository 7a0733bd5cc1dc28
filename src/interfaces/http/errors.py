"""Errors only the HTTP layer can detect. Like every other error, problems.py maps each to one problem type."""

from __future__ import annotations


class UnsupportedMediaType(Exception):
    def __init__(self, content_type: str, expected: str = "application/json") -> None:
        super().__init__(f"the body must be {expected}, not {content_type or 'of an unspecified type'}")
        self.content_type, self.expected = content_type, expected


class IdempotencyKeyRequired(Exception):
    def __init__(self) -> None:
        super().__init__("this request needs an Idempotency-Key header so that a retry can never act twice")


class InvalidParameter(Exception):
    """A query, path or header value that fails validation outside Litestar's own parameter parsing."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"{name}: {detail}")
        self.name, self.detail = name, detail
