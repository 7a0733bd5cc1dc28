"""Outgoing order callbacks."""
