"""Money as an integer count of a currency's minor units. Never floats.

The exponent table is ISO 4217 (the number of digits after the decimal point). Codes not listed use 2,
ISO's default for most currencies; codes that are not three upper-case letters are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.shared.errors import DomainError

# ISO 4217 currencies whose exponent is not 2.
_EXPONENTS: dict[str, int] = {
    # zero-decimal
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    # three-decimal
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
    # four-decimal
    "CLF": 4,
    "UYW": 4,
}

# Active ISO 4217 codes (2024 list). Anything else is refused so a typo never becomes a currency.
_ISO_4217 = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN
    BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP
    GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF
    KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR
    MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK
    SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI
    UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL""".split()  # noqa: SIM905
)


class UnknownCurrency(DomainError):
    def __init__(self, code: str) -> None:
        super().__init__(f"{code!r} is not an ISO 4217 currency code")
        self.code = code


class CurrencyMismatch(DomainError):
    def __init__(self, left: Currency, right: Currency) -> None:
        super().__init__(f"cannot combine {left.code} with {right.code}")


@dataclass(frozen=True, slots=True)
class Currency:
    code: str

    def __post_init__(self) -> None:
        if self.code not in _ISO_4217:
            raise UnknownCurrency(self.code)

    @property
    def exponent(self) -> int:
        """Digits after the decimal point: USD 2, JPY 0, KWD 3."""
        return _EXPONENTS.get(self.code, 2)

    @classmethod
    def of(cls, code: str) -> Currency:
        return cls(code.upper()) if code.isascii() else cls(code)

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units (cents, kobo, yen) of one currency."""

    amount: int
    currency: Currency

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError("Money.amount must be an int of minor units")

    @classmethod
    def of(cls, amount: int, currency: str) -> Money:
        return cls(amount, Currency.of(currency))

    @classmethod
    def zero(cls, currency: Currency) -> Money:
        return cls(0, currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(self.currency, other.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency.code}"
