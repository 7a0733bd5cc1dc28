"""Base classes for everything the domain can refuse."""


class DomainError(Exception):
    """A request the domain refuses. Subclasses carry the data a caller needs to explain why."""


class BusinessRuleViolation(DomainError):
    """A named business rule does not hold."""
