"""A signed-in admin console session, as stored (the cookie's token itself is never stored, only its digest)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.data.api_keys import Caller


@dataclass(frozen=True, slots=True)
class AdminSession:
    caller: Caller  # the key that signed in: its name is the actor of every console action
    csrf_token: str  # every form of the session carries it; a post without it changes nothing
    last_seen_at: datetime
