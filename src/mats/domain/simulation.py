"""Backtested portfolios: align strategies on common days, simulate an allocation's equity curve."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from mats.domain.backtests import BacktestSeries
from mats.errors import ValidationError


@dataclass(frozen=True)
class AlignedReturns:
    """Daily returns of several strategies on the days every one of them has (T x N)."""

    strategy_ids: tuple[str, ...]
    dates: tuple[date, ...]
    matrix: npt.NDArray[np.float64]


def align(series: Mapping[str, BacktestSeries]) -> AlignedReturns:
    """Keep only the days all series share, in date order."""
    if not series:
        raise ValidationError("strategies", "no backtests to align")
    common = set.intersection(*(set(s.dates) for s in series.values()))
    days = tuple(sorted(common))
    ids = tuple(sorted(series))
    matrix = np.empty((len(days), len(ids)), dtype=np.float64)
    for column, strategy_id in enumerate(ids):
        by_day = dict(zip(series[strategy_id].dates, series[strategy_id].returns, strict=True))
        matrix[:, column] = [by_day[day] for day in days]
    return AlignedReturns(ids, days, matrix)


@dataclass(frozen=True)
class EquityCurve:
    """Growth of 1 under daily rebalancing to fixed weights, and its drawdown from the peak."""

    equity: tuple[float, ...]
    drawdown: tuple[float, ...]


def equity_curve(returns: AlignedReturns, weights: Mapping[str, float]) -> EquityCurve:
    """Simulate the weights (fractions of equity) over the aligned days; absent ids weigh 0."""
    vector = np.array([weights.get(i, 0.0) for i in returns.strategy_ids], dtype=np.float64)
    daily: npt.NDArray[np.float64] = returns.matrix @ vector
    equity = np.asarray(np.cumprod(1.0 + daily), dtype=np.float64)
    if not len(equity):
        return EquityCurve((), ())
    drawdown = np.asarray(equity / np.maximum.accumulate(equity) - 1.0, dtype=np.float64)
    return EquityCurve(_rounded(equity), _rounded(drawdown))


def _rounded(values: npt.NDArray[np.float64]) -> tuple[float, ...]:
    # Ten significant digits are plenty for a chart and keep the stored document small.
    return tuple(float(f"{value:.10g}") for value in values)
