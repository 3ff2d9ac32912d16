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

from mats.domain.optimizer.cvar import historical_cvar, tail_weights
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
    daily = returns @ weights
    mean = float(daily.mean())
    volatility = float(daily.std(ddof=1))
    return PortfolioMetrics(
        expected_return_daily=mean,
        expected_return_annual=mean * TRADING_DAYS_PER_YEAR,
        volatility_daily=volatility,
        volatility_annual=volatility * math.sqrt(TRADING_DAYS_PER_YEAR),
        sharpe=sharpe_ratio(mean, volatility),
        cvar=historical_cvar(-daily, confidence),
        cvar_confidence=confidence,
        max_drawdown=max_drawdown(daily),
        leverage=float(weights.sum()),
    )


def sharpe_ratio(mean_daily: float, volatility_daily: float) -> float:
    """Return the annualised Sharpe ratio (rf = 0); 0 when there is no volatility."""
    if volatility_daily <= 0:
        return 0.0
    return math.sqrt(TRADING_DAYS_PER_YEAR) * mean_daily / volatility_daily


def max_drawdown(daily_returns: FloatArray) -> float:
    """Return the largest peak-to-trough fall of ``prod(1 + r)`` as a fraction in [0, 1]."""
    equity = np.cumprod(1.0 + np.asarray(daily_returns, dtype=np.float64))
    peaks = np.maximum.accumulate(np.concatenate([[1.0], equity]))[1:]
    drawdowns = 1.0 - equity / peaks
    return float(min(1.0, max(0.0, drawdowns.max(initial=0.0))))


def risk_contributions(
    returns: FloatArray, covariance: FloatArray, weights: FloatArray, confidence: float
) -> list[RiskContribution]:
    """Split volatility and CVaR of the combined portfolio across the strategies (Euler)."""
    marginal = covariance @ weights
    volatility = float(np.sqrt(max(float(weights @ marginal), 0.0)))
    by_volatility = weights * marginal / volatility if volatility > 0 else np.zeros_like(weights)
    tail = tail_weights(-(returns @ weights), confidence)
    by_cvar = weights * (tail @ -returns)
    return [
        RiskContribution(volatility=float(v), cvar=float(c))
        for v, c in zip(by_volatility, by_cvar, strict=True)
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
