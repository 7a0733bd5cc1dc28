"""Provider news in: the webhook processor (verify → store → confirm → apply) and what an event does to a payment."""
