"""IB's ExchangeRate account values as the rates of an account's other currencies."""

from __future__ import annotations

from decimal import Decimal

from ib_async import AccountValue

from mats.adapters.brokers.ib import exchange_rates
from mats.domain.venues import VenueRate


def value(currency: str, rate: str, tag: str = "ExchangeRate", model: str = "") -> AccountValue:
    return AccountValue("DU1", tag, rate, currency, model)


def test_every_other_currencys_rate_in_the_account_currency_first_report_wins() -> None:
    values = [
        value("BASE", "1.00"),
        value("USD", "1.00"),
        value("GBP", "1.2714"),
        value("EUR", "1.0843"),
        value("EUR", "1.0700"),  # the summary's line after the account updates' one
        value("EUR", "1000000", tag="CashBalance"),
    ]

    assert exchange_rates(values, "USD") == (
        VenueRate("EUR", Decimal("1.0843")),
        VenueRate("GBP", Decimal("1.2714")),
    )


def test_unknown_currencies_model_lines_and_values_that_are_no_rate_are_left_out() -> None:
    values = [
        value("CNH", "0.1380"),  # IB's offshore yuan: no ISO 4217 code
        value("JPY", "0.0066", model="MODEL1"),
        value("CHF", ""),
        value("SEK", "n/a"),
        value("NOK", "0"),
        value("DKK", "-0.14"),
        value("", "1.00"),
        value("AUD", "0.66"),
    ]

    assert exchange_rates(values, "USD") == (VenueRate("AUD", Decimal("0.66")),)


def test_a_eur_account_reports_the_dollar_in_euros() -> None:
    values = [value("BASE", "1.00"), value("EUR", "1.00"), value("USD", "0.9222")]

    assert exchange_rates(values, "EUR") == (VenueRate("USD", Decimal("0.9222")),)
