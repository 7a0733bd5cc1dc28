"""The write side: the unit of work and what runs inside it (payments with their refunds, the webhook inbox)."""
