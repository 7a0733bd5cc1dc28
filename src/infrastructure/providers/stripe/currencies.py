"""Which currencies we send to Stripe, and how Stripe's `amount` relates to our ISO 4217 minor units.

Stripe takes amounts in "the currency's smallest unit", which is ISO 4217's minor unit for nearly every currency
(https://docs.stripe.com/currencies#minor-units). The exceptions, from the same page:

- ISK: ISO gives it no decimals, but Stripe keeps it two-decimal "for backwards compatibility": 5 ISK is
  `amount=500` (https://docs.stripe.com/currencies#special-cases). We convert exactly, both ways.
- MGA: Stripe lists it as zero-decimal while ISO gives it two decimals, so 1.50 MGA has no Stripe amount.
  Rather than round money, we do not route MGA to Stripe.
- UGX: Stripe's page lists it as zero-decimal AND, under special cases, as two-decimal like ISK. A wrong guess
  charges 100 times too much or too little, so UGX is not routed to Stripe either (other providers take it).
- Three-decimal currencies (BHD, JOD, KWD, OMR, TND) must end in 0 at Stripe; Stripe itself refuses other
  amounts with a 400, which reaches the caller as a provider error rather than being rounded here.
"""

from __future__ import annotations

from domain.shared.money import Currency
from infrastructure.providers.decimal_amounts import AmountNotExact

# Stripe's presentment currencies (https://docs.stripe.com/currencies#presentment-currencies), upper-cased,
# minus MGA and UGX (see above). Codes that are not active ISO 4217 codes (e.g. STD) never reach us anyway.
SUPPORTED = frozenset(
    """USD AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CVE CZK DJF DKK DOP DZD EGP ETB EUR FJD FKP GBP GEL GIP GMD GNF GTQ GYD HKD
    HNL HTG HUF IDR ILS INR ISK JMD JOD JPY KES KGS KHR KMF KRW KWD KYD KZT LAK LBP LKR LRD LSL MAD MDL MKD
    MMK MNT MOP MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD
    RUB RWF SAR SBD SCR SEK SGD SHP SLE SOS SRD SZL THB TJS TND TOP TRY TTD TWD TZS UAH UYU UZS VND VUV WST
    XAF XCD XCG XOF XPF YER ZAR ZMW""".split()  # noqa: SIM905
)

# Stripe's amount = our minor units * factor.
_FACTORS: dict[str, int] = {"ISK": 100}


def supports(currency: Currency) -> bool:
    return currency.code in SUPPORTED


def to_stripe(amount: int, currency: Currency) -> int:
    return amount * _FACTORS.get(currency.code, 1)


def from_stripe(amount: int, currency_code: str) -> int:
    """Stripe's amount in our minor units; AmountNotExact when it is not a whole number of them."""
    factor = _FACTORS.get(currency_code.upper(), 1)
    if amount % factor:
        raise AmountNotExact(f"{amount} {currency_code.upper()} (Stripe units) is not a whole number of minor units")
    return amount // factor
