"""The fund's monthly returns and max drawdown equal quantstats' on the same NAV series."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
import quantstats as qs

from mats.domain.funds.returns import NavPoint, max_drawdown, monthly_returns, yearly_returns


def generated_nav(seed: int, days: int = 800) -> list[NavPoint]:
    # A daily strike from a mid-month inception at 100, a random walk of daily returns with
    # fat-ish tails, NAV per unit kept to 6 dp as the strikes store it.
    generator = np.random.default_rng(seed)
    returns = generator.standard_t(4, size=days - 1) * 0.01 + 0.0003
    navs = 100 * np.cumprod(np.concatenate([[1.0], 1 + returns]))
    strikes = pd.bdate_range("2024-03-13", periods=days)
    return [
        NavPoint(day.date(), Decimal(f"{nav:.6f}")) for day, nav in zip(strikes, navs, strict=True)
    ]


def as_series(points: list[NavPoint]) -> pd.Series:
    return pd.Series(
        [float(p.nav_per_unit) for p in points],
        index=pd.DatetimeIndex([pd.Timestamp(p.on) for p in points]),
    )


@pytest.mark.parametrize("seed", [1, 7, 42, 2026])
def test_monthly_and_yearly_returns_equal_quantstats(seed: int) -> None:
    points = generated_nav(seed)
    daily = as_series(points).pct_change().fillna(0.0)  # day one: inception, no return yet

    table = qs.stats.monthly_returns(daily, eoy=True, compounded=True)

    ours = monthly_returns(points)
    assert len(ours) == 38  # 800 business days: 13 March 2024 to 6 April 2027
    for month, value in ours:
        year, number = month.split("-")
        # Columns are the twelve months in order, then EOY (their names' case varies by release).
        theirs = table.loc[year].iloc[int(number) - 1]
        assert float(value) == pytest.approx(theirs, abs=1e-9)
    for year, value in yearly_returns(points):
        assert float(value) == pytest.approx(table.loc[str(year), "EOY"], abs=1e-9)


@pytest.mark.parametrize("seed", [1, 7, 42, 2026])
def test_max_drawdown_equals_quantstats(seed: int) -> None:
    points = generated_nav(seed)

    theirs = qs.stats.max_drawdown(as_series(points))

    assert float(max_drawdown(points)) == pytest.approx(theirs, abs=1e-9)
    assert theirs < -0.05  # the series does draw down, so the comparison means something


def test_a_first_day_loss_counts_from_the_inception_price() -> None:
    points = [
        NavPoint(date(2026, 1, 5), Decimal("100.000000")),
        NavPoint(date(2026, 1, 6), Decimal("95.000000")),
        NavPoint(date(2026, 1, 7), Decimal("99.000000")),
    ]

    assert float(max_drawdown(points)) == pytest.approx(
        qs.stats.max_drawdown(as_series(points)), abs=1e-9
    )
