"""The rule kinds of the risk rules file, each a small class that says whether a checkout breaks it.

Every rule has an id, an action (`block` or `review`) and a score; a broken rule contributes exactly that
(`RuleHead.hit`). Plain rules look at the checkout alone (`matches`). Counted rules (velocity) name what to count
(`query`) and are broken when the count of earlier checkouts has reached their limit (`reached`), so the
`limit + 1`-th checkout in the window gets the action. rules_file.py reads the file into these classes.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from application.ports.risk import CheckoutFacts, CountedBy, RecentCount
from domain.payments.risk import RiskAssessment, RiskDecision

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class RuleHead:
    """What every rule has."""

    id: str
    action: RiskDecision  # block or review
    score: int

    def hit(self) -> RiskAssessment:
        return RiskAssessment(self.action, self.score, (self.id,))


class PlainRule(Protocol):
    @property
    def head(self) -> RuleHead: ...

    def matches(self, facts: CheckoutFacts) -> bool: ...


class CountedRule(Protocol):
    @property
    def head(self) -> RuleHead: ...

    def query(self, facts: CheckoutFacts) -> RecentCount | None:
        """What to count for this checkout; None when the checkout lacks the fact (no e-mail, no IP)."""
        ...

    def reached(self, count: int) -> bool: ...


@dataclass(frozen=True, slots=True)
class RiskRules:
    """A whole rules file: the plain rules (asked before any transaction) and the counted ones (asked inside)."""

    plain: tuple[PlainRule, ...] = ()
    counted: tuple[CountedRule, ...] = ()


@dataclass(frozen=True, slots=True)
class MaxAmountRule:
    """An amount above `amount` (minor units) in `currency`."""

    head: RuleHead
    currency: str
    amount: int

    def matches(self, facts: CheckoutFacts) -> bool:
        return facts.amount.currency.code == self.currency and facts.amount.amount > self.amount


@dataclass(frozen=True, slots=True)
class BlocklistRule:
    """An e-mail address, an e-mail domain (or a subdomain of it), an IP address or range, or a country."""

    head: RuleHead
    emails: frozenset[str]  # lower case
    email_domains: frozenset[str]  # lower case
    networks: tuple[IpNetwork, ...]  # single addresses as /32 or /128
    countries: frozenset[str]  # upper case

    def matches(self, facts: CheckoutFacts) -> bool:
        return (
            self._email_listed(facts.customer_email)
            or self._ip_listed(facts.customer_ip)
            or (facts.customer_country or "").upper() in self.countries
        )

    def _email_listed(self, email: str | None) -> bool:
        if not email:
            return False
        email = email.strip().lower()
        if email in self.emails:
            return True
        domain = email.rpartition("@")[2]
        return any(domain == listed or domain.endswith("." + listed) for listed in self.email_domains)

    def _ip_listed(self, ip: str | None) -> bool:
        if not ip or not self.networks:
            return False
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in network for network in self.networks if network.version == address.version)


@dataclass(frozen=True, slots=True)
class VelocityRule:
    """At most `limit` checkouts that created a payment per e-mail, IP or order within `window_seconds`."""

    head: RuleHead
    by: CountedBy
    limit: int
    window_seconds: int

    def query(self, facts: CheckoutFacts) -> RecentCount | None:
        value = facts.counted_value(self.by)
        if not value:
            return None
        return RecentCount(self.by, value, facts.at - timedelta(seconds=self.window_seconds))

    def reached(self, count: int) -> bool:
        return count >= self.limit
