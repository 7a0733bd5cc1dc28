"""What the HTTP edge keeps: API keys created with the CLI, and Idempotency-Key records."""
