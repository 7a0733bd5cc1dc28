"""E-mail addresses where they are not needed in full: `jane.doe@example.com` → `j***@example.com`, enough to
tell customers apart, not to reach one. Order callbacks carry the customer's address masked (their bodies are
stored, listed to admins and sent to another system); log lines mask every address they contain. The API's
single-payment views (checkout answer, `GET /api/v1/payments/{id}`) show it in full to the caller that sent it.
"""

from __future__ import annotations

import re

EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9_%+-][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
"""An address inside free text (a log message): what `mask_emails_in` replaces."""


def mask_email(address: str) -> str:
    """The first character of the local part, `***`, and the domain; `***` for anything that is not an address."""
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return "***"
    return f"{local[0]}***@{domain}"


def mask_emails_in(text: str) -> str:
    """Every address in `text`, masked with `mask_email`."""
    return EMAIL_IN_TEXT.sub(lambda found: mask_email(found.group(0)), text)
