"""Background use cases that the worker loop runs periodically, one per file."""
