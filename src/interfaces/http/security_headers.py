"""Security headers on every response: API answers, problems, unknown routes, /health, the HTML pages.

Added by the edge middleware (edge.py), around the whole app, so responses made outside Litestar's handlers
(404s, 405s, errors) get them too. It runs on every request, so the header lists are built once and the
per-response work is one small set of the response's header names. A header the route set itself wins (the simulator's page has its own
Content-Security-Policy; problem pages may be cached), so pages that need a looser policy keep it.

- API responses (JSON, problems): a CSP that allows nothing (`default-src 'none'; frame-ancestors 'none'`) and
  `Cache-Control: no-store` (payment data must not sit in shared or browser caches).
- The interactive docs under the OpenAPI path (`/schema`, api_docs.py) load their scripts, styles and icon from
  this app (`/schema/assets/`, shipped in the package) and fetch `/schema/openapi.json`: their CSP allows
  'self' and no other origin, and no inline script or style. `data:` images only, for the icons that Swagger
  UI's stylesheet carries inline as data URLs.
- `Strict-Transport-Security` only when the public URL is https: over plain http browsers ignore it, and on a
  development `http://127.0.0.1` it would only pin localhost to https.
"""

from __future__ import annotations

Header = tuple[bytes, bytes]

API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = (
    "default-src 'none'; "
    "script-src 'self'; "
    "style-src 'self'; "
    "img-src 'self' data:; "
    "connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000"  # one year; no includeSubDomains: the operator's other hosts are not ours to pin


def security_headers(*, https: bool, docs: bool) -> list[Header]:
    """The headers added to a response (unless the route set one of them itself)."""
    headers: list[tuple[str, str]] = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Content-Security-Policy", DOCS_CSP if docs else API_CSP),
    ]
    if not docs:
        headers.append(("Cache-Control", "no-store"))
    if https:
        headers.append(("Strict-Transport-Security", HSTS))
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]


class SecurityHeaders:
    """Both header lists, built once; `add` puts the path's list on a response (`edge.EdgeMiddleware` calls it)."""

    __slots__ = ("_api", "_api_names", "_docs", "_docs_names", "_docs_prefix")

    def __init__(self, *, https: bool, docs_path: str = "/schema") -> None:  # OpenAPIConfig.path
        self._api = security_headers(https=https, docs=False)
        self._docs = security_headers(https=https, docs=True)
        self._api_names = frozenset(name for name, _ in self._api)
        self._docs_names = frozenset(name for name, _ in self._docs)
        self._docs_prefix = docs_path.rstrip("/")

    def _is_docs(self, path: str) -> bool:
        prefix = self._docs_prefix
        return path == prefix or (path.startswith(prefix) and path[len(prefix) : len(prefix) + 1] == "/")

    def add(self, path: str, headers: list[Header]) -> None:
        """Appends the headers `path` gets to `headers`, but none the route already set (its value wins)."""
        extra, extra_names = (self._docs, self._docs_names) if self._is_docs(path) else (self._api, self._api_names)
        present = {name.lower() for name, _ in headers}
        if present.isdisjoint(extra_names):
            headers.extend(extra)
        else:  # the route chose some of these itself: keep its values
            headers.extend(header for header in extra if header[0] not in present)
