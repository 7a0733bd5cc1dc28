"""Reads the risk rules file (`PAYMENTS_RISK_RULES`, TOML; README "Risk checks") into rules.py's classes.

Every mistake is one line naming the file, the rule and what is wrong, all of them at once (like the settings),
so a bad file stops the start and is fixed in one pass. Adding a rule kind: a class in rules.py, a reader here,
one entry in `KINDS` (ARCHITECTURE.md "Risk checks").
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.payments.risk import MAX_SCORE, RiskDecision
from domain.shared.money import Currency, UnknownCurrency
from infrastructure.risk.rules import (
    BlocklistRule,
    CountedRule,
    IpNetwork,
    MaxAmountRule,
    PlainRule,
    RiskRules,
    RuleHead,
    VelocityRule,
)

VARIABLE = "PAYMENTS_RISK_RULES"
_HEAD = frozenset({"id", "kind", "action", "score"})
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


class Fields:
    """One rule's table: typed reads that note a mistake (and answer None) instead of raising."""

    def __init__(self, raw: dict[str, Any], where: str, problems: list[str]) -> None:
        self.raw, self.where, self._problems = raw, where, problems

    def problem(self, what: str) -> None:
        self._problems.append(f"{self.where}: {what}")

    def text(self, name: str) -> str | None:
        value = self.raw.get(name)
        if not isinstance(value, str) or not value.strip():
            self.problem(f"`{name}` must be a non-empty string, got {value!r}")
            return None
        return value.strip()

    def integer(self, name: str, low: int, high: int | None = None) -> int | None:
        value = self.raw.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(f"`{name}` must be an integer, got {value!r}")
            return None
        if value < low or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.problem(f"`{name}` must be {bounds}, got {value}")
            return None
        return value

    def strings(self, name: str) -> list[str]:
        value = self.raw.get(name, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.problem(f"`{name}` must be a list of strings, got {value!r}")
            return []
        return [item.strip() for item in value]

    def only(self, allowed: frozenset[str]) -> None:
        for name in sorted(set(self.raw) - allowed - _HEAD):
            self.problem(f"unknown field `{name}` (this kind has: {', '.join(sorted(allowed))})")


def _max_amount(head: RuleHead, f: Fields) -> MaxAmountRule | None:
    f.only(frozenset({"currency", "amount"}))
    code, amount = f.text("currency"), f.integer("amount", 0)
    if code is not None:
        try:
            code = Currency(code.upper()).code
        except UnknownCurrency:
            f.problem(f"unknown currency {code!r} (an ISO 4217 code such as USD)")
            code = None
    return None if code is None or amount is None else MaxAmountRule(head, code, amount)


def _velocity(head: RuleHead, f: Fields) -> VelocityRule | None:
    f.only(frozenset({"by", "limit", "window_seconds"}))
    by = f.raw.get("by")
    if by not in ("email", "ip", "order"):
        f.problem(f"`by` must be one of email, ip, order, got {by!r}")
    limit, window = f.integer("limit", 1), f.integer("window_seconds", 1)
    if by not in ("email", "ip", "order") or limit is None or window is None:
        return None
    return VelocityRule(head, by, limit, window)


def _blocklist(head: RuleHead, f: Fields) -> BlocklistRule | None:
    f.only(frozenset({"emails", "email_domains", "ips", "countries"}))
    emails, domains = f.strings("emails"), f.strings("email_domains")
    ips, countries = f.strings("ips"), f.strings("countries")
    for email in emails:
        if "@" not in email:
            f.problem(f"{email!r} in `emails` is not an e-mail address")
    for domain in domains:
        if "@" in domain or "." not in domain:
            f.problem(f"{domain!r} in `email_domains` is not a domain (e.g. mailinator.com)")
    for country in countries:
        if not re.fullmatch(r"[A-Za-z]{2}", country):
            f.problem(f"{country!r} in `countries` is not an ISO 3166 alpha-2 code (e.g. KP)")
    networks = [network for ip in ips if (network := _network(ip, f)) is not None]
    if not (emails or domains or ips or countries):
        f.problem("lists nothing: give at least one of emails, email_domains, ips, countries")
    return BlocklistRule(
        head,
        frozenset(e.lower() for e in emails),
        frozenset(d.lower().lstrip(".") for d in domains),
        tuple(networks),
        frozenset(c.upper() for c in countries),
    )


def _network(ip: str, f: Fields) -> IpNetwork | None:
    try:
        return ipaddress.ip_network(ip)  # strict: "203.0.113.7/24" (host bits set) is a mistake, not a range
    except ValueError as error:
        f.problem(f"{ip!r} in `ips` is not an IP address or CIDR range ({error})")
        return None


@dataclass(frozen=True, slots=True)
class RuleKind:
    read: Callable[[RuleHead, Fields], PlainRule | CountedRule | None]
    counted: bool  # asked inside the payment's transaction, with counts (rules.CountedRule)


KINDS: dict[str, RuleKind] = {
    "max_amount": RuleKind(_max_amount, counted=False),
    "blocklist": RuleKind(_blocklist, counted=False),
    "velocity": RuleKind(_velocity, counted=True),
}


def read_risk_rules(path: str | None) -> tuple[RiskRules | None, list[str]]:
    """The rules of the file at `path` (None: no file configured, no rules) and every mistake found in it."""
    if path is None:
        return None, []
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        return None, [f"{VARIABLE} {path}: cannot be read ({error.strerror or error})"]
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        return None, [f"{VARIABLE} {path}: is not valid TOML ({error})"]
    problems: list[str] = [f"{VARIABLE} {path}: unknown table or key `{key}`" for key in document if key != "rule"]
    raw_rules = document.get("rule", [])
    if not isinstance(raw_rules, list):
        return None, [*problems, f"{VARIABLE} {path}: `rule` must be an array of tables ([[rule]])"]
    plain: list[PlainRule] = []
    counted: list[CountedRule] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_rules, 1):
        rule, kind = _rule(raw, f"{VARIABLE} {path}: rule {number}", seen, problems)
        if rule is not None and kind is not None:
            (counted if kind.counted else plain).append(rule)  # type: ignore[arg-type]
    return RiskRules(tuple(plain), tuple(counted)), problems


def _rule(
    raw: object, where: str, seen: set[str], problems: list[str]
) -> tuple[PlainRule | CountedRule | None, RuleKind | None]:
    """The rule (None when it has any mistake: a rule is used whole or not at all) and its kind."""
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a table ([[rule]]), got {raw!r}")
        return None, None
    if isinstance(raw.get("id"), str) and raw["id"].strip():
        where = f"{where} ({raw['id'].strip()})"
    f, before = Fields(raw, where, problems), len(problems)
    rule_id, score = f.text("id"), f.integer("score", 0, MAX_SCORE)
    if rule_id is not None and not _ID.match(rule_id):
        f.problem("`id` must be letters, digits and _ . : - (at most 64), starting with a letter or digit")
    elif rule_id is not None and rule_id in seen:
        f.problem(f"`id` {rule_id!r} is used by an earlier rule")
    seen.add(rule_id or "")
    action = raw.get("action")
    if action not in ("block", "review"):
        f.problem(f"`action` must be block or review, got {action!r}")
    kind = KINDS.get(str(raw.get("kind")))
    if kind is None:
        f.problem(f"unknown kind {raw.get('kind')!r} (known: {', '.join(KINDS)})")
        return None, None
    decision = RiskDecision(action) if action in ("block", "review") else RiskDecision.BLOCK
    rule = kind.read(RuleHead(rule_id or "", decision, score or 0), f)
    return (rule if len(problems) == before else None), kind
