"""The HTTP interface: a Litestar app of thin controllers over the message bus (see app.py)."""
