"""Keyset pages: one size limit for every list the API offers."""

MAX_PAGE = 200


def page_size(limit: int) -> int:
    """`limit` clamped to 1..MAX_PAGE (the HTTP layer refuses others; other callers get the nearest)."""
    return max(1, min(limit, MAX_PAGE))
