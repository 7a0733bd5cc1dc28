"""Sign in with an API key, sign out. Sign-in attempts are rate-limited per client address."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from infrastructure.rate_limit import Policy, Tier
from infrastructure.settings import Settings
from interfaces.admin.render import page
from interfaces.admin.session import (
    COOKIE,
    CSRF_FIELD,
    SIGN_IN_COOKIE,
    Console,
    clear_cookie,
    new_token,
    posted_form,
    set_cookie,
)
from interfaces.http.client_ip import client_ip
from interfaces.http.rate_limiting import RateLimits
from interfaces.http.root import root_of
from interfaces.http.route_handlers import get, post

log = logging.getLogger(__name__)

# Ten tries a minute per address: plenty for a person who mistyped, hopeless for guessing 256-bit keys.
SIGN_IN_POLICY = Policy("admin-sign-in", (Tier(10, 60),))
_MAX_KEY_LENGTH = 512


class SignInPages(Controller):
    @get("/login")
    async def sign_in_form(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        return _form(settings, notice="You are signed out." if "signed_out" in request.query_params else None)

    @post("/login", status_code=303)
    async def sign_in(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Response[Any]:
        form = await request.form()
        key, token = str(form.get("api_key") or "").strip(), str(form.get(CSRF_FIELD) or "")
        expected = request.cookies.get(SIGN_IN_COOKIE, "")
        if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
            return _form(settings, error="The sign-in form expired. Please try again.", status=403)
        limits: RateLimits = request.app.state.rate_limits
        address = client_ip(request.scope, limits.trusted_proxies)  # behind our proxies: the real client
        decision = await limits.limiter.check(SIGN_IN_POLICY, address)
        if not decision.allowed:
            wait = decision.retry_after_seconds
            log.warning("console sign-in refused for %s: too many attempts", address)
            return _form(settings, error=f"Too many sign-in attempts. Try again in {wait} seconds.", status=429)
        root = root_of(request)
        caller = await root.api_keys().authenticate(key) if key and len(key) <= _MAX_KEY_LENGTH else None
        if caller is None:
            log.info("console sign-in failed from %s", address)
            return _form(settings, error="Invalid API key", status=401)
        if not caller.allows("payments:read"):
            return _form(
                settings, error="This key cannot open the console: it needs the payments:read scope.", status=403
            )
        session_token = new_token()
        await root.admin_sessions().start(session_token, caller, key, new_token(), root.clock().now())
        log.info("console sign-in by %s", caller.name)
        response: Response[Any] = Redirect("/admin", status_code=303)
        secure = _secure(settings)
        set_cookie(response, COOKIE, session_token, secure=secure, max_age=None)
        clear_cookie(response, SIGN_IN_COOKIE, secure=secure)
        return response

    @post("/logout", status_code=303)
    async def sign_out(
        self, request: Request[Any, Any, Any], console: NamedDependency[Console], settings: NamedDependency[Settings]
    ) -> Response[Any]:
        await posted_form(request, console)
        await root_of(request).admin_sessions().end(request.cookies.get(COOKIE, ""))
        log.info("console sign-out by %s", console.actor)
        response: Response[Any] = Redirect("/admin/login?signed_out=1", status_code=303)
        clear_cookie(response, COOKIE, secure=_secure(settings))
        return response


def _secure(settings: Settings) -> bool:
    return settings.public_url.startswith("https://")


def _form(settings: Settings, *, error: str | None = None, notice: str | None = None, status: int = 200) -> Template:
    token = new_token()
    response = page("sign_in.html", status, csrf_token=token, error=error, notice=notice)
    set_cookie(response, SIGN_IN_COOKIE, token, secure=_secure(settings), max_age=3600)
    return response
