from typing import Protocol


class IdGenerator(Protocol):
    def new(self, prefix: str) -> str:
        """A new sortable id with the given prefix: `new("pay")` → `pay_01J…`. Later ids sort after earlier."""
        ...
