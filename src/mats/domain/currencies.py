"""The currency codes MATS accepts: ISO 4217 plus the crypto assets its venues settle in.

A closed list, not a pattern: a typo (``USX``) or a pair written without its slash (``EURUSD``)
must be refused, not stored as a currency no account, instrument or rate will ever match.
"""

from __future__ import annotations

# ISO 4217 alphabetic codes in force (list one, 2026), without XTS (reserved for testing) and XXX
# (no currency): neither is money an account can hold.
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN
    BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR
    FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU
    MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON
    RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP
    TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAD XAF XAG XAU XBA XBB
    XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR ZMW ZWG
    """.split()  # noqa: SIM905 - a table of 176 codes reads better as text than quoted
)

# Crypto venues quote, settle and charge fees in these (the ccxt venues settle in USDT, Binance
# charges fees in BNB, and ETH/BTC is priced in BTC). Add one here when a venue needs it.
CRYPTO_ASSETS = frozenset({"BNB", "BTC", "ETH", "USDC", "USDT"})

CURRENCY_CODES = ISO_4217 | CRYPTO_ASSETS


def is_currency_code(code: str) -> bool:
    """Return whether ``code`` (upper case) is an accepted currency code."""
    return code in CURRENCY_CODES
