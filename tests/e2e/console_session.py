"""A signed-in admin console session over plain HTTP (httpx), for the console's e2e tests: signs in as a browser
does (the sign-in form's token and cookie), reads the CSRF and one-time form keys out of the pages."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.e2e.conftest import LiveServer

_FIELD = re.compile(r'name="(?P<name>csrf_token|form_key|amount|reason)" value="(?P<value>[^"]*)"')


def hidden_fields(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to `action` on the page."""
    start = html.index(f'action="{action}"')
    end = html.index("</form>", start)
    return {m["name"]: m["value"] for m in _FIELD.finditer(html[start:end])}


class ConsoleSession:
    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.base_url, timeout=10.0, follow_redirects=False)

    def sign_in(self, key: str) -> httpx.Response:
        form = self.http.get("/admin/login")
        fields = hidden_fields(form.text, "/admin/login")
        return self.http.post("/admin/login", data={**fields, "api_key": key})

    def signed_in_as(self, name: str) -> ConsoleSession:
        answer = self.sign_in(self.server.keys[name])
        assert answer.status_code == 303, answer.text
        return self

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(path, **kw)

    def submit(self, page: str, action: str, **fields: str) -> httpx.Response:
        """Posts the form for `action` found on `page`, with its hidden fields and `fields`."""
        html = self.http.get(page).text
        return self.http.post(action, data={**hidden_fields(html, action), **fields})

    def close(self) -> None:
        self.http.close()
