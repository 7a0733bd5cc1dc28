"""msgspec Structs for the HTTP contract: strict, snake_case, unknown fields refused. Money stays an int."""
