"""HEAD's answer: the GET answer's status and headers, `Content-Length` included, without its body.

RFC 9110 (9.3.2) asks a HEAD response for the headers GET would send; load balancers and uptime checks probe
with HEAD and some compare the length. Litestar's HEAD handlers may not return a body, and a `Response(None)`
is rendered as `null` (so it announced 4 bytes), so a HEAD route renders its GET answer in full and sends it
without the body: the headers, length included, are GET's by construction.
"""

from __future__ import annotations

from typing import Any

from litestar import Response
from litestar.response.base import ASGIResponse


class WithoutBody(Response[None]):
    """`response` rendered as GET would send it, then sent with an empty body."""

    __slots__ = ("_response",)

    def __init__(self, response: Response[Any]) -> None:
        super().__init__(None)
        self._response = response

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> ASGIResponse:
        answer = self._response.to_asgi_response(*args, **kwargs)
        answer.body = b""  # the headers were made from the full body, Content-Length included
        return answer
