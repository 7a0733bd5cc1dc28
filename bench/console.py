"""The `console` scenario: the admin console's list pages as a signed-in browser asks for them.

Before the clock starts it signs in once through the console's own form (the sign-in page's token and cookie,
then the API key), like a person would. Then, labelled per page: the overview, the transactions table for the
JSON listing's filters that the console offers (the same keyset pages, as the JSON scenario found them by
following `next_cursor`), webhook events and notifications. Target: p99 under 50 ms on every page.
"""

from __future__ import annotations

import re
import urllib.request
from http.cookiejar import CookieJar
from urllib.parse import urlencode

from workload import Request, http

TARGET_P99_MS = 50
# the JSON listing's filters that the console's form has (it has no "kind"), and their names there
_CONSOLE_FIELDS = {"status": "status", "provider": "provider", "currency": "currency", "order_id": "order"}
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(port: int, api_key: str) -> str:
    """The `Cookie` header of a console session signed in with `api_key`."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    with opener.open(f"{base}/admin/login", timeout=30) as form:
        token = _TOKEN.search(form.read().decode())
    if token is None:
        raise RuntimeError("no sign-in form at /admin/login")
    body = urlencode({"csrf_token": token.group(1), "api_key": api_key}).encode()
    with opener.open(f"{base}/admin/login", data=body, timeout=30) as answer:  # follows the 303 to /admin
        if answer.status != 200 or not answer.url.endswith("/admin"):
            raise RuntimeError(f"the console refused the bench key: {answer.status} at {answer.url}")
    cookie = next(c for c in jar if c.name == "payments_admin")
    return f"payments_admin={cookie.value}"


def console_pages(listing: dict[str, list[dict[str, str]]]) -> dict[str, list[str]]:
    """The console paths per label: the listing's pages (when the console has all their filters) and the rest."""
    paths: dict[str, list[str]] = {
        "overview": ["/admin"],
        "webhook events": ["/admin/webhook-events", "/admin/webhook-events?status=failed"],
        "notifications": ["/admin/notifications", "/admin/notifications?status=dead"],
    }
    for label, pages in listing.items():
        if any(name not in _CONSOLE_FIELDS and name not in ("limit", "cursor") for page in pages for name in page):
            continue  # kind and the created_* instants: the console's From/To are whole days
        paths[f"transactions: {label}"] = [
            "/admin/transactions?"
            + urlencode([(_CONSOLE_FIELDS.get(name, name), value) for name, value in page.items() if name != "limit"])
            for page in pages
        ]
    return paths


def requests(port: int, cookie: str, paths: dict[str, list[str]]) -> list[Request]:
    headers = {"Cookie": cookie, "Accept": "text/html"}
    return [(label, http("GET", port, path, headers), 200) for label, group in paths.items() for path in group]
