"""Thin Litestar controllers: parse → message → bus.send → response."""
