"""The interactive API page's own files over HTTP: served from the package, cached long under links that change
with their content, the licence alongside; the former Swagger UI path redirects to the page."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qs, urlsplit

from tests.e2e.conftest import LiveServer

YEAR = "max-age=31536000, public, immutable"
TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def test_the_page_links_its_files_by_content_and_they_are_cached_for_a_year(sqlite_server: LiveServer) -> None:
    page = sqlite_server.get("/schema")
    assert page.status_code == 200
    links = re.findall(r'(?:src|href)="(/schema/assets/[^"]+)"', page.text)
    assert {urlsplit(link).path.rsplit(".", 1)[1] for link in links} == {"js", "css", "png"}
    for link in links:
        asset = sqlite_server.get(link)
        assert asset.status_code == 200, link
        assert asset.headers["cache-control"] == YEAR
        path = urlsplit(link).path
        assert asset.headers["content-type"].startswith(TYPES[path[path.rindex(".") :]]), link
        # the link names the content: a changed file gets a new URL, so a year in caches is safe
        assert parse_qs(urlsplit(link).query)["v"] == [hashlib.sha256(asset.content).hexdigest()[:12]], link


def test_swagger_uis_licence_ships_with_it(sqlite_server: LiveServer) -> None:
    licence = sqlite_server.get("/schema/assets/swagger-ui/LICENSE")
    assert licence.status_code == 200
    assert "Apache License" in licence.text
    assert "swagger-ui" in sqlite_server.get("/schema/assets/swagger-ui/NOTICE").text


def test_an_unknown_asset_is_a_404_problem(sqlite_server: LiveServer) -> None:
    response = sqlite_server.get("/schema/assets/nope.js")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "cache-control" not in response.headers


def test_the_former_swagger_path_redirects_to_the_page(sqlite_server: LiveServer) -> None:
    moved = sqlite_server.get("/schema/swagger")
    assert moved.status_code == 301
    assert moved.headers["location"] == "/schema"
    assert sqlite_server.get(moved.headers["location"]).text == sqlite_server.get("/schema").text
