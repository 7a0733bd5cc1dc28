"""Ceiling: a bare Litestar endpoint returning a constant, under the same ASGI server and flags as the service.

Whatever the service answers per second on a read is measured against this: it is what this machine, this
Python, Litestar and uvicorn can do at all on one core with nothing behind the route.
"""

from __future__ import annotations

import argparse

import uvicorn
from litestar import Litestar, get


@get("/hello")
async def hello() -> dict[str, str]:
    return {"status": "ok"}


app = Litestar([hello])

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    # the flags `payments serve` passes (interfaces/cli/serve.py); loop and parser resolve to uvloop + httptools
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False, server_header=False)
