"""Score a weight vector on the backtest: the combined portfolio's return, risk and attribution.

The combined portfolio is rebalanced to the weights every day: its daily return is ``R w``.
Annualised return is ``252 x`` the daily mean (arithmetic), volatility ``sqrt(252) x`` the daily
standard deviation (ddof = 1), Sharpe their ratio (rf = 0). CVaR is the exact historical daily
CVaR of ``-R w``. Max drawdown is the largest fall from a peak of the compounded equity curve
``prod(1 + R w)``, capped at 100%.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mats.domain.optimizer.cvar import historical_cvars, tail_days
from mats.domain.optimizer.highs import FloatArray
from mats.domain.optimizer.settings import TRADING_DAYS_PER_YEAR


@dataclass(frozen=True)
class PortfolioMetrics:
    expected_return_daily: float
    expected_return_annual: float
    volatility_daily: float
    volatility_annual: float
    sharpe: float
    cvar: float
    cvar_confidence: float
    max_drawdown: float
    leverage: float


@dataclass(frozen=True)
class RiskContribution:
    """One strategy's Euler share of portfolio risk; each column sums to the portfolio figure.

    ``volatility`` is ``w_i (S w)_i / sqrt(w'S w)`` (daily, sample covariance); ``cvar`` is
    ``w_i`` times the strategy's mean loss over the portfolio's CVaR tail days, so the shares add
    up to the portfolio's daily CVaR exactly.
    """

    volatility: float
    cvar: float


def portfolio_metrics(
    returns: FloatArray, weights: FloatArray, confidence: float
) -> PortfolioMetrics:
    """Score ``weights`` on the daily ``returns`` (days x strategies)."""
    return portfolio_metrics_batch(returns, weights[:, np.newaxis], confidence)[0]


def portfolio_metrics_batch(
    returns: FloatArray, weights: FloatArray, confidence: float
) -> list[PortfolioMetrics]:
    """Score each column of ``weights`` (strategies x portfolios) in one pass over ``returns``."""
    # Each portfolio's days contiguous: the reductions below run along memory, not across it.
    by_portfolio = weights.T @ returns.T
    return metrics_of_daily_returns(by_portfolio.T, weights.sum(axis=0), confidence)


def metrics_of_daily_returns(
    daily: FloatArray, leverages: FloatArray, confidence: float
) -> list[PortfolioMetrics]:
    """Score portfolios from their daily returns ``R w`` (days x portfolios) and ``sum(w)``."""
    by_portfolio = np.ascontiguousarray(daily.T)
    means = by_portfolio.mean(axis=1)
    volatilities = by_portfolio.std(axis=1, ddof=1)
    cvars = historical_cvars(-by_portfolio.T, confidence)
    drawdowns = max_drawdowns(by_portfolio.T)
    scale = math.sqrt(TRADING_DAYS_PER_YEAR)
    return [
        PortfolioMetrics(
            expected_return_daily=mean,
            expected_return_annual=mean * TRADING_DAYS_PER_YEAR,
            volatility_daily=volatility,
            volatility_annual=volatility * scale,
            sharpe=sharpe_ratio(mean, volatility),
            cvar=cvar,
            cvar_confidence=confidence,
            max_drawdown=drawdown,
            leverage=leverage,
        )
        for mean, volatility, cvar, drawdown, leverage in zip(
            means.tolist(),
            volatilities.tolist(),
            cvars.tolist(),
            drawdowns.tolist(),
            np.atleast_1d(leverages).tolist(),
            strict=True,
        )
    ]


def sharpe_ratio(mean_daily: float, volatility_daily: float) -> float:
    """Return the annualised Sharpe ratio (rf = 0); 0 when there is no volatility."""
    if volatility_daily <= 0:
        return 0.0
    return math.sqrt(TRADING_DAYS_PER_YEAR) * mean_daily / volatility_daily


def max_drawdown(daily_returns: FloatArray) -> float:
    """Return the largest peak-to-trough fall of ``prod(1 + r)`` as a fraction in [0, 1]."""
    return float(max_drawdowns(np.asarray(daily_returns, dtype=np.float64)[:, np.newaxis])[0])


def max_drawdowns(daily_returns: FloatArray) -> FloatArray:
    """Return :func:`max_drawdown` of each column of ``daily_returns`` (days x portfolios)."""
    equity = 1.0 + daily_returns
    np.cumprod(equity, axis=0, out=equity)
    # The curve starts at 1 before the first day, so no peak is below 1.
    peaks = np.maximum.accumulate(equity, axis=0)
    np.maximum(peaks, 1.0, out=peaks)
    # The deepest fall is 1 minus the lowest equity / peak; in place, with no other temporaries.
    np.divide(equity, peaks, out=equity)
    return np.asarray(np.clip(1.0 - equity.min(axis=0, initial=1.0), 0.0, 1.0), dtype=np.float64)


def risk_contributions(
    returns: FloatArray,
    covariance: FloatArray,
    weights: FloatArray,
    confidence: float,
    daily: FloatArray | None = None,
) -> list[RiskContribution]:
    """Split volatility and CVaR of the combined portfolio across the strategies (Euler).

    ``daily`` is ``returns @ weights`` when the caller has it already.
    """
    marginal = covariance @ weights
    volatility = float(np.sqrt(max(float(weights @ marginal), 0.0)))
    by_volatility = weights * marginal / volatility if volatility > 0 else np.zeros_like(weights)
    losses = -(returns @ weights if daily is None else daily)
    days, tail = tail_days(losses, confidence)
    by_cvar = -weights * (tail @ returns[days])
    return [
        RiskContribution(volatility=v, cvar=c)
        for v, c in zip(by_volatility.tolist(), by_cvar.tolist(), strict=True)
    ]


def correlation_matrix(covariance: FloatArray) -> FloatArray:
    """Return the correlation implied by ``covariance``; a constant strategy correlates 0."""
    deviations = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    flat = deviations <= 0
    safe = np.where(flat, 1.0, deviations)
    correlation = covariance / np.outer(safe, safe)
    correlation[:, flat] = 0.0
    correlation[flat, :] = 0.0
    np.fill_diagonal(correlation, 1.0)
    return np.asarray(np.clip(correlation, -1.0, 1.0), dtype=np.float64)
