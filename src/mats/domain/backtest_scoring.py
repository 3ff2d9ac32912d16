"""Score a parsed backtest: the figures MATS keeps beside each strategy's daily series.

Apart from :mod:`mats.domain.backtests` because the scoring needs numpy and the optimiser's risk
measures, which whoever only reads stored backtests (the CLI's listings, the stores) should not
have to load.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np

from mats.domain.backtests import (
    BacktestRecord,
    BacktestSeries,
    BacktestStatistics,
    BacktestSummary,
    StrategyMetadata,
)
from mats.domain.optimizer.cvar import historical_cvar
from mats.domain.optimizer.metrics import max_drawdown, sharpe_ratio
from mats.domain.optimizer.settings import TRADING_DAYS_PER_YEAR


def backtest_statistics(series: BacktestSeries) -> BacktestStatistics:
    """Score a parsed series: mean, volatility, Sharpe (rf = 0), drawdown, CVaR95, alpha/trade."""
    daily = np.asarray(series.returns, dtype=np.float64)
    mean = float(daily.mean())
    volatility = float(daily.std(ddof=1))
    total_return = float(np.prod(1.0 + daily) - 1.0)
    total_trades = sum(series.trades) if series.trades is not None else None
    alpha = total_return / total_trades if total_trades else None
    moved = int(np.count_nonzero(daily))
    win_rate = int(np.count_nonzero(daily > 0)) / moved if moved else None
    return BacktestStatistics(
        observations=len(daily),
        start=series.dates[0],
        end=series.dates[-1],
        mean_daily=mean,
        mean_annual=mean * TRADING_DAYS_PER_YEAR,
        volatility_daily=volatility,
        volatility_annual=volatility * math.sqrt(TRADING_DAYS_PER_YEAR),
        sharpe=sharpe_ratio(mean, volatility),
        max_drawdown=max_drawdown(daily),
        cvar_95=historical_cvar(-daily, 0.95),
        total_return=total_return,
        total_trades=total_trades,
        expected_alpha_per_trade=alpha,
        win_rate=win_rate,
    )


def build_record(
    strategy_id: str,
    series: BacktestSeries,
    metadata: StrategyMetadata | None,
    now: datetime,
) -> BacktestRecord:
    """Score a parsed series and attach its metadata, ready to store in one write."""
    summary = BacktestSummary(
        strategy_id=strategy_id,
        source=series.source,
        statistics=backtest_statistics(series),
        updated_at=now,
        margin_per_unit=metadata.margin_per_unit if metadata else None,
        unit_cost=metadata.unit_cost if metadata else None,
        currency=metadata.currency if metadata else None,
    )
    return BacktestRecord(summary, series)
