"""Currency codes and FX pairs: ISO 4217 plus the crypto assets the venues settle in, and pairs
written BASE/QUOTE with both."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mats.domain.currencies import CURRENCY_CODES, ISO_4217
from mats.domain.market import parse_pair, validate_currency
from mats.errors import ValidationError
from mats.services.operations import OperationsService
from tests.fakes import (
    FakeClock,
    InMemoryAccountStore,
    InMemoryExecutionStore,
    InMemoryStrategyStore,
)


@pytest.mark.parametrize(
    ("pair", "expected"),
    [
        ("EUR/USD", ("EUR", "USD")),
        (" eur / usd ", ("EUR", "USD")),
        ("USDT/USD", ("USDT", "USD")),
        ("BTC/USDT", ("BTC", "USDT")),
        ("XAU/USD", ("XAU", "USD")),
    ],
)
def test_a_pair_is_two_known_codes_around_a_slash(pair: str, expected: tuple[str, str]) -> None:
    assert parse_pair(pair) == expected


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("EURUSD", "'EURUSD' must be written BASE/QUOTE, e.g. EUR/USD or USDT/USD"),
        ("EURO", "'EURO' must be written BASE/QUOTE"),
        ("EUR/", "must be written BASE/QUOTE"),
        ("/USD", "must be written BASE/QUOTE"),
        ("EUR/USD/JPY", "'USD/JPY' is not a currency code"),
        ("EUX/USD", "'EUX' is not a currency code: use an ISO 4217 code"),
        ("EUR/DOLLAR", "'DOLLAR' is not a currency code"),
        ("XXX/USD", "'XXX' is not a currency code"),
        ("USD/USD", "USD/USD prices a currency in itself"),
    ],
)
def test_anything_else_is_refused_naming_the_problem(pair: str, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_pair(pair)

    assert raised.value.field == "pair"
    assert message in raised.value.message


def test_the_crypto_assets_are_named_in_the_error() -> None:
    with pytest.raises(ValidationError, match="or one of BNB, BTC, ETH, USDC, USDT"):
        validate_currency("DOGE", "currency")


def test_every_iso_code_is_three_letters() -> None:
    assert all(len(code) == 3 and code.isalpha() and code.isupper() for code in ISO_4217)
    assert {"USD", "EUR", "JPY", "GBP", "CHF"} <= ISO_4217


def test_no_two_pairs_share_the_document_id_rates_are_stored_under() -> None:
    # FX rates are stored (and looked up by Cerebro) under base + quote with no separator, so
    # the accepted codes must never make two pairs spell the same id.
    ids = [base + quote for base in CURRENCY_CODES for quote in CURRENCY_CODES if base != quote]

    assert len(ids) == len(set(ids))


def test_fx_set_stores_nothing_for_a_bad_pair_or_rate() -> None:
    stored: list[object] = []

    class Market:
        def put_fx_rate(self, rate: object) -> None:
            stored.append(rate)

    # Only the market store is reached on this path.
    service = OperationsService(
        accounts=InMemoryAccountStore(),
        positions=InMemoryExecutionStore(),
        market=Market(),
        risk=None,
        strategies=InMemoryStrategyStore(),
        clock=FakeClock(),
    )

    for pair, rate in (("EURUSD", "1.1"), ("EUR/USD", "NaN"), ("EUR/USD", "0")):
        with pytest.raises(ValidationError):
            service.set_fx_rate(pair, Decimal(rate))
    fx = service.set_fx_rate("eur/usd", Decimal("1.1"))

    assert (fx.base_currency, fx.quote_currency, fx.pair) == ("EUR", "USD", "EURUSD")
    assert stored == [fx]
