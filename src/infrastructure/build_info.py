"""What build this process runs: the installed package's version (exported as `payments_build_info` and as
the `service.version` of every span)."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version

UNKNOWN = "unknown"


@cache
def service_version() -> str:
    try:
        return version("payments")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return UNKNOWN
