"""Who is signed in to the console, and what their forms must carry.

The session lives server-side (`admin_sessions`, infrastructure/db/edge/admin_session_store.py); the browser
holds only a random token in the cookie `payments_admin` (HttpOnly, SameSite=Strict, path /admin, Secure when
the public URL is https). Every form carries the session's CSRF token; `posted_form` refuses a post without a
valid one (403) before anything is read or changed. The sign-in form, which has no session yet, carries a
token that must match a cookie of its own (double submit), so a forged sign-in fails too.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from litestar.exceptions import PermissionDeniedException

from application.data.api_keys import Caller
from interfaces.http.root import root_of

if TYPE_CHECKING:
    from litestar import Request, Response

COOKIE = "payments_admin"
SIGN_IN_COOKIE = "payments_admin_sign_in"
COOKIE_PATH = "/admin"
CSRF_FIELD = "csrf_token"
_STATE = "admin_console"


class SignInRequired(Exception):
    """No session, or it ended: the console sends the browser to the sign-in page."""


class FormRefused(PermissionDeniedException):
    """A post without this session's CSRF token: answered 403, nothing read or changed."""


class ScopeMissing(PermissionDeniedException):
    """The signed-in key may not do this (the control was not shown; the server refuses anyway)."""


@dataclass(frozen=True, slots=True)
class Console:
    """The signed-in key, and the CSRF token its forms carry. Templates ask `can(scope)`."""

    caller: Caller
    csrf_token: str

    @property
    def actor(self) -> str:
        return self.caller.name

    def can(self, scope: str) -> bool:
        return self.caller.allows(scope)

    def require(self, scope: str) -> None:
        if not self.caller.allows(scope):
            raise ScopeMissing(f"The key {self.caller.name!r} lacks the {scope!r} scope.")


async def provide_console(request: Request[Any, Any, Any]) -> Console:
    """The `console` dependency of every page but sign-in: the session named by the cookie, or sign in."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 128:
        raise SignInRequired()
    root = root_of(request)
    session = await root.admin_sessions().find(token, root.clock().now())
    if session is None:
        raise SignInRequired()
    console = Console(session.caller, session.csrf_token)
    request.scope.setdefault("state", {})[_STATE] = console  # for the error page: its navigation and Sign out
    return console


def signed_in_console(request: Request[Any, Any, Any]) -> Console | None:
    """The console of this request, if its session was found before something failed."""
    console = request.scope.get("state", {}).get(_STATE)
    return console if isinstance(console, Console) else None


async def posted_form(request: Request[Any, Any, Any], console: Console) -> dict[str, str]:
    """The form's fields, once its CSRF token matched the session's (else 403)."""
    form = await request.form()
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    if not hmac.compare_digest(fields.pop(CSRF_FIELD, "").encode(), console.csrf_token.encode()):
        raise FormRefused("The form is missing this session's security token. Reload the page and try again.")
    return fields


def new_token() -> str:
    return secrets.token_urlsafe(32)


def set_cookie(response: Response[Any], name: str, value: str, *, secure: bool, max_age: int | None) -> None:
    response.set_cookie(name, value, path=COOKIE_PATH, httponly=True, samesite="strict", secure=secure, max_age=max_age)


def clear_cookie(response: Response[Any], name: str, *, secure: bool) -> None:
    response.delete_cookie(name, path=COOKIE_PATH)
    for cookie in response.cookies:  # Litestar's deletion cookie lacks the attributes the browser matched on
        if cookie.key == name:
            cookie.httponly, cookie.samesite, cookie.secure = True, "strict", secure
