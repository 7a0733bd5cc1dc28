"""The `payments` command line: serve the API, migrate the database, manage API keys."""


class CommandFailed(Exception):
    """The command could not do its job for a reason the operator can fix; printed alone, exit code 1."""
