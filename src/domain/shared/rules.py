"""Business rules as named objects, so a violation says which rule broke and why."""

from typing import Protocol


class BusinessRule(Protocol):
    def is_broken(self) -> bool: ...

    def violation(self) -> Exception:
        """The exception that explains the broken rule; raised by `check`."""
        ...


def check(rule: BusinessRule) -> None:
    if rule.is_broken():
        raise rule.violation()
