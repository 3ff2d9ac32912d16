"""Backtest CSVs: parsed into validated series, or rejected naming the file and the line."""

import math
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from mats.domain.backtest_scoring import backtest_statistics
from mats.domain.backtests import (
    BacktestFileError,
    parse_backtest_csv,
    parse_strategy_metadata,
)

RETURNS_CSV = """date,return,trades,note
2026-01-02,0.01,2,x
2026-01-05,-0.02,1,y
2026-01-06,0.015,0,z
2026-01-07,0.005,1,
"""


def test_a_returns_file_parses_into_dates_returns_and_trades() -> None:
    series = parse_backtest_csv(RETURNS_CSV, "trend.csv")

    assert series.dates[0] == date(2026, 1, 2)
    assert series.returns == (0.01, -0.02, 0.015, 0.005)
    assert series.trades == (2, 1, 0, 1)
    assert series.ignored_columns == ("note",)


def test_an_equity_file_gives_one_return_fewer_than_rows() -> None:
    text = "Date,Equity\n2026-01-02,100\n2026-01-05,110\n2026-01-06,99\n"

    series = parse_backtest_csv(text, "equity.csv")

    assert series.returns == pytest.approx((0.1, -0.1))
    assert series.dates == (date(2026, 1, 5), date(2026, 1, 6))


def test_statistics_follow_their_definitions() -> None:
    series = parse_backtest_csv(RETURNS_CSV, "trend.csv")
    daily = np.array(series.returns)

    stats = backtest_statistics(series)

    assert stats.observations == 4
    assert (stats.start, stats.end) == (date(2026, 1, 2), date(2026, 1, 7))
    assert stats.mean_daily == pytest.approx(daily.mean())
    assert stats.volatility_annual == pytest.approx(daily.std(ddof=1) * math.sqrt(252))
    assert stats.sharpe == pytest.approx(math.sqrt(252) * daily.mean() / daily.std(ddof=1))
    # Equity 1.01 then 0.9898: the only drawdown is 2% from the first peak.
    assert stats.max_drawdown == pytest.approx(0.02)
    # 5% of 4 days is 0.2 of a day: the tail is the single worst loss.
    assert stats.cvar_95 == pytest.approx(0.02)
    total = 1.01 * 0.98 * 1.015 * 1.005 - 1
    assert stats.total_return == pytest.approx(total)
    assert stats.total_trades == 4
    assert stats.expected_alpha_per_trade == pytest.approx(total / 4)


def test_without_trades_there_is_no_alpha_per_trade() -> None:
    stats = backtest_statistics(
        parse_backtest_csv("date,return\n2026-01-02,0.01\n2026-01-05,0\n", "a.csv")
    )

    assert stats.total_trades is None
    assert stats.expected_alpha_per_trade is None


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("", 1, "empty"),
        ("date,return\n", 1, "at least 2"),
        ("day,return\n2026-01-02,0.1\n", 1, "no date column"),
        ("date,price\n2026-01-02,0.1\n", 1, "exactly one of"),
        ("date,return,equity\n2026-01-02,0.1,1\n", 1, "exactly one of"),
        ("date,return,Return\n2026-01-02,0.1,1\n", 1, "repeats"),
        ("date,return\n2026-01-02,0.1\n02/01/2026,0.1\n", 3, "not YYYY-MM-DD"),
        ("date,return\n2026-01-02,0.1\n2026-01-03,abc\n", 3, "not a number"),
        ("date,return\n2026-01-02,0.1\n2026-01-03,nan\n", 3, "finite"),
        ("date,return\n2026-01-02,0.1\n2026-01-03,inf\n", 3, "finite"),
        ("date,return\n2026-01-02,0.1\n2026-01-03,-1\n", 3, "100%"),
        ("date,return\n2026-01-02,0.1\n2026-01-05,0\n2026-01-02,0\n", 4, "duplicate date"),
        ("date,return\n2026-01-02,0.1\n2026-01-05,0\n2026-01-03,0\n", 4, "goes backwards"),
        ("date,return\n2026-01-02,0.1\n2026-01-03\n", 3, "expected 2 fields"),
        ("date,equity\n2026-01-02,100\n2026-01-03,0\n", 3, "above 0"),
        ("date,return,trades\n2026-01-02,0.1,1\n2026-01-03,0,-1\n", 3, "whole number"),
    ],
)
def test_errors_name_the_file_and_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(BacktestFileError) as raised:
        parse_backtest_csv(text, "strategy.csv")

    assert raised.value.source == "strategy.csv"
    assert raised.value.line == line
    assert raised.value.field == f"strategy.csv:{line}"
    assert fragment in raised.value.message


def test_a_configured_calendar_gap_is_enforced() -> None:
    text = "date,return\n2026-01-02,0.1\n2026-01-05,0\n2026-02-05,0\n"

    assert len(parse_backtest_csv(text, "a.csv").returns) == 3
    with pytest.raises(BacktestFileError) as raised:
        parse_backtest_csv(text, "a.csv", max_gap_days=10)

    assert raised.value.line == 4


def test_metadata_parses_margin_and_unit_cost_as_decimals() -> None:
    text = "strategy_id,margin_per_unit,currency\ntrend-es,12500.50,USD\nbtc-swing,0,usd$\n"

    with pytest.raises(BacktestFileError) as raised:
        parse_strategy_metadata(text, "meta.csv")
    assert raised.value.line == 3

    metadata = parse_strategy_metadata(text.replace("usd$", "USDT"), "meta.csv")
    assert metadata["trend-es"].margin_per_unit == Decimal("12500.50")
    assert metadata["btc-swing"].currency == "USDT"
    assert metadata["trend-es"].unit_cost is None
    with_cost = "strategy_id,margin_per_unit,currency,unit_cost\naapl,0,USD,187.50\n"
    assert parse_strategy_metadata(with_cost, "meta.csv")["aapl"].unit_cost == Decimal("187.50")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("strategy,margin\n", 1),
        ("strategy_id,margin_per_unit,currency\na,1,USD\na,2,USD\n", 3),
        ("strategy_id,margin_per_unit,currency\na,abc,USD\n", 2),
        ("strategy_id,margin_per_unit,currency\na,-5,USD\n", 2),
        ("strategy_id,margin_per_unit,currency\n,5,USD\n", 2),
    ],
)
def test_metadata_errors_name_the_line(text: str, line: int) -> None:
    with pytest.raises(BacktestFileError) as raised:
        parse_strategy_metadata(text, "meta.csv")

    assert raised.value.line == line


def test_the_win_rate_is_the_share_of_moving_days_that_gained() -> None:
    text = "date,return\n2026-01-02,0.01\n2026-01-05,0\n2026-01-06,-0.02\n2026-01-07,0.03\n"

    stats = backtest_statistics(parse_backtest_csv(text, "a.csv"))

    # Three days moved (the flat one is neither a win nor a loss), two of them up.
    assert stats.win_rate == pytest.approx(2 / 3)


def test_no_win_rate_when_no_day_moved() -> None:
    flat = backtest_statistics(parse_backtest_csv("date,return\n2026-01-02,0\n2026-01-05,0\n", "f"))

    assert flat.win_rate is None
