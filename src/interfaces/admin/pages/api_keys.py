"""`/admin/api-keys`: the keys (configured ones, and stored ones with created and last used), a form to create
one (shown once, in the answer to that post, never again), and Revoke. Scope `admin` to change anything."""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any

from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from application.data.api_keys import SCOPES
from infrastructure.settings import Settings
from interfaces.admin.form_errors import FormNotUnderstood
from interfaces.admin.notices import notice_for
from interfaces.admin.render import page
from interfaces.admin.session import Console, posted_form
from interfaces.http.root import root_of
from interfaces.http.route_handlers import get, post

log = logging.getLogger(__name__)
KeyId = Annotated[str, PathParameter(min_length=1, max_length=255)]
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._:@-]{0,99}")


class ApiKeysPages(Controller):
    path = "/api-keys"

    @get("/")
    async def keys(
        self,
        request: Request[Any, Any, Any],
        console: NamedDependency[Console],
        settings: NamedDependency[Settings],
    ) -> Template:
        return await _page(request, console, settings, notice=notice_for(request.query_params.get("done")))

    @post("/", status_code=200)
    async def create(
        self,
        request: Request[Any, Any, Any],
        console: NamedDependency[Console],
        settings: NamedDependency[Settings],
    ) -> Template:
        fields = await posted_form(request, console)
        console.require("admin")
        form = await request.form()
        name = fields.get("name", "").strip()
        scopes = tuple(s for s in SCOPES if s in form.getall("scope", []))
        if not _NAME.fullmatch(name):
            raise FormNotUnderstood("Name: 1 to 100 letters, digits, spaces and . _ : @ -, starting with a letter.")
        if not scopes:
            raise FormNotUnderstood("Choose at least one scope.")
        root = root_of(request)
        try:
            info, raw_key = await root.api_keys().create(name, scopes, root.clock().now())
        except ValueError as error:
            raise FormNotUnderstood(str(error)) from None
        log.info("console: API key %s (%s) created by %s", info.name, info.id, console.actor)
        return await _page(request, console, settings, created=info, raw_key=raw_key)

    @post("/{key_id:str}/revoke", status_code=303)
    async def revoke(
        self, request: Request[Any, Any, Any], key_id: KeyId, console: NamedDependency[Console]
    ) -> Redirect:
        await posted_form(request, console)
        console.require("admin")
        root = root_of(request)
        if await root.api_keys().revoke(key_id, root.clock().now()):
            root.admin_sessions().forget_remembered()  # the key's console sessions end now, not in 5 s
            log.info("console: API key %s revoked by %s", key_id, console.actor)
        return Redirect("/admin/api-keys?done=revoked", status_code=303)


async def _page(request: Request[Any, Any, Any], console: Console, settings: Settings, **context: Any) -> Template:
    stored = await root_of(request).api_keys().list()
    return page(
        "api_keys.html",
        console=console,
        nav="api_keys",
        stored=sorted(stored, key=lambda k: (k.revoked_at is not None, k.name)),
        configured=[(key.name, key.scopes) for key in settings.api_keys],
        scopes=SCOPES,
        **context,
    )
