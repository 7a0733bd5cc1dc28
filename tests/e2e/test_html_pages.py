"""The service's HTML pages over real HTTP: the landing page at `/`, the problem pages and the simulator's
checkout share one stylesheet served by the service, load nothing else, carry no inline style or script, and
each page's policy allows what it loads."""

from __future__ import annotations

import uuid
from html.parser import HTMLParser

import httpx
import pytest

from interfaces.http.html_pages import STYLESHEET, STYLESHEET_PATH
from tests.e2e.conftest import LiveServer
from tests.e2e.test_security_headers import _allowed, _Loads, _sources


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)


def links_of(page: str) -> list[str]:
    parser = _Links()
    parser.feed(page)
    return parser.links


def assert_loads_only_the_stylesheet(page: httpx.Response) -> None:
    assert page.headers["content-type"].startswith("text/html")
    policy = _sources(page.headers["content-security-policy"])
    assert policy["default-src"] == {"'none'"}
    loads = _Loads()
    loads.feed(page.text)
    assert loads.styles == [STYLESHEET_PATH]
    assert all(_allowed(policy["style-src"], url) for url in loads.styles)
    assert (loads.scripts, loads.images, loads.inline_script, loads.inline_style) == ([], [], False, False)


def test_the_landing_page_links_the_docs_and_the_probes(sqlite_server: LiveServer) -> None:
    page = sqlite_server.get("/")
    assert page.status_code == 200, page.text
    assert_loads_only_the_stylesheet(page)
    links = links_of(page.text)
    assert {"/schema", "/health", "/ready"} <= set(links)
    assert "/admin" in links  # the console, which sends a visitor without a session to its sign-in page
    assert sqlite_server.get("/admin").headers["location"] == "/admin/login"
    for link in (link for link in links if link != "/admin"):
        assert sqlite_server.get(link).status_code == 200, link
    assert f"{sqlite_server.base_url}/api/v1/orders/abc-123/checkout" in page.text  # the quick start


def test_head_of_the_landing_page_is_its_headers_without_the_body(sqlite_server: LiveServer) -> None:
    page = sqlite_server.get("/")
    head = sqlite_server.request("HEAD", "/")
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-type"] == page.headers["content-type"]
    assert head.headers["content-length"] == page.headers["content-length"] == str(len(page.content))


@pytest.mark.parametrize("slug", ["not-found", "headers-too-large"])
def test_problem_pages_use_the_shared_stylesheet(sqlite_server: LiveServer, slug: str) -> None:
    page = sqlite_server.get(f"/problems/{slug}")
    assert page.status_code == 200
    assert_loads_only_the_stylesheet(page)


def test_the_simulator_page_uses_the_shared_stylesheet(sqlite_server: LiveServer) -> None:
    payment = sqlite_server.checkout(f"ord-{uuid.uuid4().hex[:8]}").json()
    page = httpx.get(payment["checkout_url"])
    assert page.status_code == 200
    assert_loads_only_the_stylesheet(page)


def test_the_stylesheet_is_served_and_may_be_cached(sqlite_server: LiveServer) -> None:
    sheet = sqlite_server.get(STYLESHEET_PATH)
    assert sheet.status_code == 200
    assert sheet.headers["content-type"].startswith("text/css")
    assert sheet.headers.get_list("cache-control") == ["public, max-age=86400"]
    assert sheet.text == STYLESHEET
