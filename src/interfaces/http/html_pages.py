"""The frame every HTML page of the service shares (landing page, problem pages, the simulator's checkout).

One stylesheet, served by this service at `STYLESHEET_PATH` (`controllers/pages.py`), so the pages load nothing
from elsewhere and carry neither inline style nor script: `PAGE_CSP` allows styles from this origin and nothing
else. Pages set it themselves; the edge's security headers keep a policy the route chose.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

STYLESHEET_PATH = "/assets/pages.css"
STYLESHEET = Path(__file__).with_name("pages.css").read_text(encoding="utf-8")
PAGE_CSP = "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def html_page(title: str, main: str, *, main_class: str = "") -> str:
    """A whole document around `main` (HTML, escaped by the caller); `title` is text."""
    attributes = f' class="{escape(main_class)}"' if main_class else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<title>{escape(title)}</title><link rel="stylesheet" href="{STYLESHEET_PATH}"></head>\n'
        f"<body><main{attributes}>\n{main}\n</main></body></html>\n"
    )
