"""Refunds as more than one use case makes them: the refund flow itself, and the automatic ones."""
