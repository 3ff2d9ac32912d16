"""Valuation: marks, unrealised P&L, FX at the right moment, flags and totals per sender."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from mats.domain.accounting.fx import RateBook, RateFlag
from mats.domain.accounting.lots import LotBook, fold
from mats.domain.accounting.valuation import (
    Mark,
    PnlTotals,
    combine,
    cost_base,
    freshest,
    pnl_totals,
    realized_base,
    totals_by_sender,
    unrealized_by_sender,
    unrealized_by_signal,
    value_position,
)
from mats.domain.market import FxRate
from tests.unit.accounting.builders import KEY, T0, buy, sell

SNAPSHOT = T0 + timedelta(hours=6)
USD_ONLY = RateBook([])


def eurusd(rate: str, hours: float) -> FxRate:
    return FxRate("EUR", "USD", Decimal(rate), T0 + timedelta(hours=hours))


def mark(price: str, *, hours: float = 5, source: str = "quote", symbol: str = "ES") -> Mark:
    return Mark(symbol, Decimal(price), source, T0 + timedelta(hours=hours))


def test_freshest_picks_the_latest_mark_and_ignores_marks_after_the_time() -> None:
    quote, broker, future = (
        mark("10", hours=1),
        mark("11", hours=2, source="broker"),
        mark("12", hours=9),
    )

    assert freshest([quote, broker, future]) == future
    assert freshest([quote, broker, future], at=SNAPSHOT) == broker
    assert freshest([]) is None
    assert freshest([future], at=SNAPSHOT) is None


def test_freshest_breaks_a_tie_the_same_way_whatever_the_order() -> None:
    quote, broker = mark("10", source="quote"), mark("10.5", source="broker")

    assert freshest([quote, broker]) == freshest([broker, quote]) == quote


def test_a_long_is_worth_its_mark_and_gains_the_rise_over_each_lot() -> None:
    book, _, _ = fold(KEY, [buy(1, "1", "100"), buy(2, "3", "104")])

    value = value_position(book, mark("110"), USD_ONLY, "USD", SNAPSHOT)

    assert value.unrealized == Decimal(10 + 18)
    assert value.market_value == Decimal(440)
    assert value.average_cost == Decimal(103)
    assert value.mark_age_seconds == 3600.0
    assert value.unrealized_base is not None
    assert value.unrealized_base.flag is RateFlag.SAME
    assert value.flags == ()


def test_a_short_future_loses_the_rise_times_the_multiplier() -> None:
    book, _, _ = fold(KEY, [sell(1, "2", "5000", multiplier="50")])

    value = value_position(book, mark("5004.25"), USD_ONLY, "USD", SNAPSHOT)

    assert value.unrealized == Decimal("-425.00")  # -4.25 points x 2 x $50
    assert value.market_value == Decimal("-500425.00")
    assert value.multiplier == Decimal(50)


def test_unrealised_converts_at_the_snapshots_rate_not_the_opening_one() -> None:
    book, _, _ = fold(KEY, [buy(1, "10", "20", currency="EUR")])
    rates = RateBook([eurusd("1.10", hours=0), eurusd("1.20", hours=4)])

    value = value_position(book, mark("25"), rates, "USD", SNAPSHOT)

    assert value.unrealized == Decimal(50)
    assert value.unrealized_base is not None
    assert value.unrealized_base.amount == Decimal("60.00")
    assert value.currency == "EUR"


def test_an_open_position_without_a_mark_is_unpriced_never_zero() -> None:
    book, _, _ = fold(KEY, [buy(1, "1", "100")])

    value = value_position(book, None, USD_ONLY, "USD", SNAPSHOT)

    assert value.flags == ("UNPRICED",)
    assert value.unrealized is None
    assert value.unrealized_base is None
    assert value.market_value is None
    assert value.mark_age_seconds is None


def test_a_flat_position_is_exactly_zero_without_a_mark_or_a_flag() -> None:
    book, _, _ = fold(
        KEY, [buy(1, "1", "100", currency="EUR"), sell(2, "1", "101", currency="EUR")]
    )

    value = value_position(book, None, USD_ONLY, "USD", SNAPSHOT)

    assert (value.unrealized, value.market_value, value.flags) == (Decimal(0), Decimal(0), ())
    totals = pnl_totals(realizations=(), costs=(), positions=[value], rates=USD_ONLY, base="USD")
    assert totals.flags == ()


def test_a_book_that_never_traded_takes_the_base_currency() -> None:
    value = value_position(LotBook.empty(KEY), None, USD_ONLY, "USD", SNAPSHOT)

    assert (value.currency, value.multiplier, value.quantity) == ("USD", Decimal(1), 0)


def test_a_stale_or_missing_rate_flags_the_position() -> None:
    book, _, _ = fold(KEY, [buy(1, "1", "100", currency="EUR")])
    stale = RateBook([eurusd("1.1", hours=0)], max_age=timedelta(hours=1))

    flagged_stale = value_position(book, mark("101"), stale, "USD", SNAPSHOT)
    flagged_missing = value_position(book, mark("101"), USD_ONLY, "USD", SNAPSHOT)

    assert flagged_stale.flags == ("FX_STALE",)
    assert flagged_missing.flags == ("FX_MISSING",)
    assert flagged_missing.unrealized == Decimal(1)
    assert flagged_missing.unrealized_base is not None
    assert flagged_missing.unrealized_base.amount is None


def test_an_old_mark_is_flagged_when_a_max_age_is_given() -> None:
    book, _, _ = fold(KEY, [buy(1, "1", "100")])

    value = value_position(
        book, mark("101", hours=1), USD_ONLY, "USD", SNAPSHOT, mark_max_age=timedelta(hours=2)
    )

    assert value.flags == ("MARK_STALE",)
    assert value.unrealized == Decimal(1)


def test_a_mark_of_another_symbol_is_refused() -> None:
    book, _, _ = fold(KEY, [buy(1, "1", "100")])

    with pytest.raises(ValueError, match="NQ"):
        value_position(book, mark("1", symbol="NQ"), USD_ONLY, "USD", SNAPSHOT)


def test_realised_pnl_converts_at_its_moment_and_stays_frozen() -> None:
    _, realized, _ = fold(
        KEY, [buy(1, "1", "100", currency="EUR"), sell(120, "1", "110", currency="EUR")]
    )
    then = RateBook([eurusd("1.10", hours=0)])
    later = RateBook([eurusd("1.10", hours=0), eurusd("1.50", hours=3)])

    assert realized_base(realized[0], then, "USD").amount == Decimal("11.00")
    assert realized_base(realized[0], later, "USD") == realized_base(realized[0], then, "USD")


def test_a_commission_converts_from_the_currency_charged_at_its_moment() -> None:
    _, _, costs = fold(KEY, [buy(1, "1", "100", commission="2", commission_currency="CHF")])
    rates = RateBook([FxRate("USD", "CHF", Decimal("0.8"), T0)])

    converted = cost_base(costs[0], rates, "USD")

    assert converted.amount == Decimal("2.5")
    assert converted.pair == "USDCHF"


def test_totals_leave_out_a_figure_without_a_rate_and_flag_it() -> None:
    _, realized, costs = fold(
        KEY,
        [
            buy(1, "1", "100", currency="EUR", commission="1"),
            sell(2, "1", "110", currency="EUR", commission="1", commission_currency="USD"),
        ],
    )

    totals = pnl_totals(
        realizations=realized, costs=costs, positions=(), rates=USD_ONLY, base="USD"
    )

    assert totals.realized == 0
    assert totals.commissions == Decimal(1)  # The USD commission counts; the EUR one cannot.
    assert totals.flags == ("FX_MISSING",)


def test_net_is_realised_plus_unrealised_less_commissions() -> None:
    assert PnlTotals(Decimal(10), Decimal(-3), Decimal(2), ()).net == Decimal(5)


def test_combine_adds_totals_and_merges_flags() -> None:
    one = PnlTotals(Decimal(1), Decimal(2), Decimal(3), ("UNPRICED",))
    two = PnlTotals(Decimal(10), Decimal(20), Decimal(30), ("FX_STALE", "UNPRICED"))

    assert combine([one, two]) == PnlTotals(
        Decimal(11), Decimal(22), Decimal(33), ("FX_STALE", "UNPRICED")
    )
    assert combine([]) == PnlTotals.zero()


def test_unrealised_splits_by_the_opening_sender_and_signal() -> None:
    book, _, _ = fold(
        KEY,
        [
            buy(1, "1", "100", signal_id="a1", sender_id="alice"),
            buy(2, "2", "100", signal_id="b1", sender_id="bob"),
            buy(3, "1", "104", signal_id="a2", sender_id="alice"),
        ],
    )

    by_sender = unrealized_by_sender(book, mark("105"), USD_ONLY, "USD", SNAPSHOT)
    by_signal = unrealized_by_signal(book, mark("105"), USD_ONLY, "USD", SNAPSHOT)

    assert by_sender == {"alice": Decimal(6), "bob": Decimal(10)}
    assert by_signal == {"a1": Decimal(5), "b1": Decimal(10), "a2": Decimal(1)}
    assert unrealized_by_sender(book, None, USD_ONLY, "USD", SNAPSHOT) == {}


def test_senders_are_never_netted_against_each_other() -> None:
    book, realized, costs = fold(
        KEY,
        [
            buy(1, "1", "100", signal_id="a", sender_id="alice", commission="1"),
            sell(2, "2", "90", signal_id="b", sender_id="bob", commission="2"),
        ],
    )

    totals = totals_by_sender(
        realizations=realized,
        costs=costs,
        books=[(book, mark("80"))],
        rates=USD_ONLY,
        base="USD",
        at=SNAPSHOT,
    )

    assert totals == {
        "alice": PnlTotals(Decimal(-10), Decimal(0), Decimal(2), ()),
        "bob": PnlTotals(Decimal(0), Decimal(10), Decimal(1), ()),
    }


def test_an_unpriced_book_flags_every_sender_holding_a_lot_in_it() -> None:
    book, _, _ = fold(
        KEY, [buy(1, "1", "100", sender_id="alice"), buy(2, "1", "100", sender_id=None)]
    )

    totals = totals_by_sender(
        realizations=(), costs=(), books=[(book, None)], rates=USD_ONLY, base="USD", at=SNAPSHOT
    )

    assert list(totals) == [None, "alice"]
    assert all(t.flags == ("UNPRICED",) and t.unrealized == 0 for t in totals.values())
