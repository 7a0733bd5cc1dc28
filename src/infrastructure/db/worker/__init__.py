"""What the worker claims and works on outside any request: the outbox, order callbacks (notifications), the
janitor's schedule; leases shared by all of them."""
