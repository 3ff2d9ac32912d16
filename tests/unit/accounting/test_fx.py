"""Dated FX conversion: direct, inverted, stale, missing and same currency; never a silent 1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mats.domain.accounting.fx import RateBook, RateFlag
from mats.domain.market import FxRate

MONDAY = datetime(2026, 3, 2, 21, tzinfo=UTC)


def eurusd(rate: str, days: float = 0) -> FxRate:
    return FxRate("EUR", "USD", Decimal(rate), MONDAY + timedelta(days=days), source="ib")


def test_a_direct_pair_multiplies_by_its_rate() -> None:
    book = RateBook([eurusd("1.10")])

    converted = book.convert(Decimal(100), "EUR", "USD", MONDAY + timedelta(hours=1))

    assert converted.amount == Decimal("110.00")
    assert (converted.rate, converted.pair, converted.flag) == (Decimal("1.10"), "EURUSD", "OK")
    assert converted.rate_as_of == MONDAY
    assert converted.flag_name is None


def test_an_inverted_pair_divides_by_its_rate() -> None:
    book = RateBook([eurusd("1.25")])

    converted = book.convert(Decimal(100), "USD", "EUR", MONDAY)

    assert converted.amount == Decimal(80)
    assert converted.rate == Decimal("0.8")
    assert converted.pair == "EURUSD"
    assert converted.flag is RateFlag.OK


def test_the_latest_rate_at_or_before_the_time_is_used_and_later_ones_never() -> None:
    book = RateBook([eurusd("1.10", days=2), eurusd("1.20", days=0), eurusd("1.15", days=1)])

    on_tuesday = book.convert(Decimal(1), "EUR", "USD", MONDAY + timedelta(days=1, hours=5))
    exactly_wednesday = book.convert(Decimal(1), "EUR", "USD", MONDAY + timedelta(days=2))

    assert on_tuesday.amount == Decimal("1.15")
    assert exactly_wednesday.amount == Decimal("1.10")


def test_a_figure_converted_at_its_moment_is_frozen_when_later_rates_arrive() -> None:
    realised_at = MONDAY + timedelta(hours=3)
    before = RateBook([eurusd("1.10")]).convert(Decimal(50), "EUR", "USD", realised_at)

    after = RateBook([eurusd("1.10"), eurusd("1.30", days=0.5)]).convert(
        Decimal(50), "EUR", "USD", realised_at
    )

    assert before == after


def test_a_rate_older_than_the_max_age_is_stale_but_still_converts() -> None:
    book = RateBook([eurusd("1.10")], max_age=timedelta(days=4))

    fresh = book.convert(Decimal(10), "EUR", "USD", MONDAY + timedelta(days=4))
    stale = book.convert(Decimal(10), "EUR", "USD", MONDAY + timedelta(days=4, seconds=1))

    assert fresh.flag is RateFlag.OK
    assert stale.flag is RateFlag.STALE
    assert stale.amount == Decimal("11.00")
    assert stale.flag_name == "FX_STALE"


def test_no_rate_before_the_time_is_missing_with_no_amount() -> None:
    book = RateBook([eurusd("1.10", days=1)])

    converted = book.convert(Decimal(10), "EUR", "USD", MONDAY)

    assert converted.amount is None
    assert converted.rate is None
    assert converted.flag is RateFlag.MISSING
    assert converted.flag_name == "FX_MISSING"
    assert converted.source_amount == Decimal(10)


def test_an_unknown_pair_is_missing_never_a_silent_one() -> None:
    book = RateBook([eurusd("1.10")])

    converted = book.convert(Decimal(10), "CHF", "USD", MONDAY)

    assert converted.flag is RateFlag.MISSING
    assert converted.amount is None
    assert book.rate("CHF", "USD", MONDAY) is None


def test_the_same_currency_converts_at_exactly_one_with_no_pair() -> None:
    converted = RateBook([]).convert(Decimal("12.34"), "USD", "USD", MONDAY)

    assert converted.amount == Decimal("12.34")
    assert (converted.rate, converted.pair, converted.rate_as_of) == (Decimal(1), None, None)
    assert converted.flag is RateFlag.SAME
    assert RateBook([]).rate("USD", "USD", MONDAY) == (Decimal(1), None)


def test_zero_and_negative_rates_are_ignored() -> None:
    book = RateBook([eurusd("0"), FxRate("EUR", "USD", Decimal(-1), MONDAY)])

    assert book.convert(Decimal(1), "EUR", "USD", MONDAY).flag is RateFlag.MISSING


def test_rate_returns_the_stored_rate_behind_the_multiplier() -> None:
    stored = eurusd("1.25")

    assert RateBook([stored]).rate("USD", "EUR", MONDAY) == (Decimal("0.8"), stored)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        RateBook([eurusd("1.1")]).rate("EUR", "USD", datetime(2026, 3, 3))  # noqa: DTZ001


@given(st.permutations([eurusd("1.10"), FxRate("USD", "EUR", Decimal("0.5"), MONDAY)]))
def test_two_rates_at_one_instant_resolve_the_same_whatever_the_order(
    rates: list[FxRate],
) -> None:
    converted = RateBook(rates).convert(Decimal(1), "EUR", "USD", MONDAY)

    assert converted == RateBook(list(reversed(rates))).convert(Decimal(1), "EUR", "USD", MONDAY)
