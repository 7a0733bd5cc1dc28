"""Webhook headers as the console shows them: any header that could carry a credential or a signature is
masked (the inbox already drops credentials; this is the second line, for whatever a provider sends next)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from infrastructure.providers import catalogue

MASK = "•••••• (masked)"
_SIGNATURE_HEADERS = frozenset(h.lower() for p in catalogue.PROVIDERS for h in p.signature_headers)
_SECRET_WORDS = re.compile(r"secret|passw|token|key|sig|auth|cookie|hash|credential", re.IGNORECASE)


def masked_headers(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    return [
        (name, MASK if name.lower() in _SIGNATURE_HEADERS or _SECRET_WORDS.search(name) else value)
        for name, value in sorted(headers.items())
    ]
