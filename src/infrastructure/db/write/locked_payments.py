"""Payment rows this transaction has already locked, handed to the repository's next `get(for_update=True)`.

On Postgres the webhook inbox records an event applied in the same transaction with one statement that also
locks its payment's row (`SELECT … FOR UPDATE` as a CTE beside the inbox `INSERT`): the lock the repository
would take next, one round trip earlier. The row read under that lock is kept here for the repository, which then
has nothing to ask. Lives as long as one unit of work's block; never shared between transactions.
"""

from __future__ import annotations

from typing import Any

from infrastructure.db.sql.runner import Row


class LockedPayments:
    def __init__(self) -> None:
        self._rows: dict[str, Row] = {}

    def keep(self, row: Row) -> None:
        self._rows[row["id"]] = row

    def take(self, payment_id: str) -> Row | None:
        """The row locked for `payment_id`, once (a second `get` in the same block reads the store again)."""
        return self._rows.pop(payment_id, None)

    def __len__(self) -> int:
        return len(self._rows)


def without(row: Row, *names: str) -> dict[str, Any]:
    return {name: value for name, value in row.items() if name not in names}
