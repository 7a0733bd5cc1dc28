"""Security headers on every kind of response, over real HTTP; the docs pages' policy allows what they load."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest

from infrastructure.db import migrate
from interfaces.http.html_pages import PAGE_CSP
from interfaces.http.security_headers import API_CSP, HSTS
from tests.e2e.conftest import LiveServer, serve

COMMON = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "no-referrer"}

# (method, path, key, expected status): JSON answers, problems of every origin, operations, HTML pages
API_RESPONSES = [
    ("GET", "/health", None, 200),
    ("HEAD", "/health", None, 200),
    ("GET", "/ready", None, 200),
    ("HEAD", "/ready", None, 200),
    ("GET", "/metrics", None, 200),
    ("GET", "/api/v1/transactions", "reader", 200),
    ("GET", "/api/v1/transactions", None, 401),
    ("POST", "/api/v1/orders/o-1/checkout", "reader", 403),
    ("GET", "/api/v1/transactions?limit=0", "reader", 422),
    ("GET", "/api/v1/payments/pay_missing", "reader", 404),
    ("GET", "/nope", None, 404),
    ("DELETE", "/health", None, 405),
    ("POST", "/api/v1/webhooks/simulator", None, 415),
]


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory, api_keys: dict[str, str]) -> Iterator[LiveServer]:
    """Served over plain HTTP here, but its public URL (what browsers and providers use) is https."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('headers') / 'payments.db'}"
    migrate.upgrade(url)
    yield from serve(url, api_keys, public_url="https://payments.example")


def assert_common(response: httpx.Response) -> None:
    for name, value in COMMON.items():
        assert response.headers.get_list(name) == [value], (name, response.headers)
    assert len(response.headers.get_list("content-security-policy")) == 1


@pytest.mark.parametrize(("method", "path", "key", "status"), API_RESPONSES)
def test_api_responses_carry_the_strict_set(
    https_server: LiveServer, method: str, path: str, key: str | None, status: int
) -> None:
    response = https_server.request(method, path, key=key)
    assert response.status_code == status, response.text
    assert_common(response)
    assert response.headers["content-security-policy"] == API_CSP
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["strict-transport-security"] == HSTS


def test_no_hsts_when_the_public_url_is_plain_http(sqlite_server: LiveServer) -> None:
    response = sqlite_server.get("/health")
    assert_common(response)
    assert "strict-transport-security" not in response.headers


def test_problem_pages_keep_their_own_cache_policy(https_server: LiveServer) -> None:
    response = https_server.get("/problems/not-found")
    assert response.status_code == 200
    assert_common(response)
    assert response.headers["content-security-policy"] == PAGE_CSP  # the page loads only the shared stylesheet
    assert response.headers.get_list("cache-control") == ["public, max-age=86400"]


def test_the_simulator_page_keeps_its_own_policy(sqlite_server: LiveServer) -> None:
    payment = sqlite_server.checkout(f"ord-{uuid.uuid4().hex[:8]}").json()
    page = httpx.get(payment["checkout_url"])
    assert page.status_code == 200
    assert_common(page)
    csp = page.headers["content-security-policy"]
    assert "style-src 'self'" in csp  # the shared stylesheet, no inline style
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers.get_list("cache-control") == ["no-store"]


class _Loads(HTMLParser):
    """What a page loads: script and stylesheet/icon URLs, and whether it has inline scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.images: list[str] = []
        self.inline_script = self.inline_style = False
        self.fetches: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script":
            if values.get("src"):
                self.scripts.append(values["src"])
            self._in_script = not values.get("src")
            if values.get("data-url"):
                self.fetches.append(values["data-url"])
        elif tag == "link" and values.get("rel") == "stylesheet":
            self.styles.append(values["href"])
        elif tag == "link" and values.get("rel") == "icon":
            self.images.append(values["href"])
        elif tag == "style":
            self.inline_style = True

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


def _sources(csp: str) -> dict[str, set[str]]:
    directives = [part.split() for part in csp.split(";") if part.strip()]
    return {words[0]: set(words[1:]) for words in directives}


def _allowed(source_list: set[str], url: str) -> bool:
    parts = urlsplit(url)
    if not parts.netloc:  # same origin
        return "'self'" in source_list
    return f"{parts.scheme}://{parts.netloc}" in source_list


def test_the_docs_page_loads_only_its_own_files_and_its_policy_allows_nothing_else(https_server: LiveServer) -> None:
    page = https_server.get("/schema")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert_common(page)
    policy = _sources(page.headers["content-security-policy"])
    assert policy["default-src"] == {"'none'"}
    assert policy["frame-ancestors"] == {"'none'"}
    # no other origin, no 'unsafe-inline': data: only for images (icons inlined in Swagger UI's stylesheet)
    assert set().union(*policy.values()) <= {"'none'", "'self'", "data:"}
    assert "data:" not in policy["script-src"] | policy["style-src"] | policy["connect-src"]
    loads = _Loads()
    loads.feed(page.text)
    assert loads.scripts, "the page loads no script: the parser no longer understands it"
    assert loads.styles
    assert loads.images
    assert loads.fetches
    assert not loads.inline_script
    assert not loads.inline_style
    for source, urls in [
        ("script-src", loads.scripts),
        ("style-src", loads.styles),
        ("img-src", loads.images),
        ("connect-src", loads.fetches),
    ]:
        for url in urls:
            assert _allowed(policy[source], url), url
            assert not urlsplit(url).netloc, f"{url} is not on this origin"
            assert https_server.get(url).status_code == 200, url
