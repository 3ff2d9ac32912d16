"""What an optimisation run stores besides its weights: each strategy's figures, the metrics
an allocation carries, the smallest account that trades the proposal, and frontier points named
as the metrics are (so a chart marks the proposal and the frontier alike)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from mats.codec import to_primitive
from mats.domain.backtests import BacktestSummary
from mats.domain.optimizer import (
    AccountSizeRequirement,
    FrontierPoint,
    OptimizationResult,
    TradableUnit,
    minimum_account_size,
)
from mats.domain.optimizer.settings import TRADING_DAYS_PER_YEAR
from mats.domain.simulation import AlignedReturns


def frontier_point(point: FrontierPoint) -> dict[str, float]:
    """One frontier point, named as the run's ``metrics`` are, so a chart marks them alike."""
    return {
        "cvar_limit": point.cvar_limit,
        "cvar": point.metrics.cvar,
        "expected_return_annual": point.metrics.expected_return_annual,
        "volatility_annual": point.metrics.volatility_annual,
        "sharpe": point.metrics.sharpe,
    }


def result_fields(returns: AlignedReturns, result: OptimizationResult) -> dict[str, Any]:
    """Per strategy, the figures a run keeps beside its weights (annualised mean and volatility,
    the correlation), and the portfolio's metrics, risk contributions and solver."""
    ids = returns.strategy_ids
    means = returns.matrix.mean(axis=0) * TRADING_DAYS_PER_YEAR
    vols = returns.matrix.std(axis=0, ddof=1) * math.sqrt(TRADING_DAYS_PER_YEAR)
    return {
        "eligible": ids,
        "period_start": returns.dates[0] if returns.dates else None,
        "period_end": returns.dates[-1] if returns.dates else None,
        "observations": len(returns.dates),
        "weights": dict(result.weights),
        "expected_returns": {i: float(m) for i, m in zip(ids, means, strict=True)},
        "volatilities": {i: float(v) for i, v in zip(ids, vols, strict=True)},
        "correlation": {
            row_id: dict(zip(ids, map(float, row), strict=True))
            for row_id, row in zip(ids, result.correlation, strict=True)
        },
        "metrics": to_primitive(result.metrics),
        "risk_contributions": {i: to_primitive(c) for i, c in result.risk_contributions.items()},
        "solver": to_primitive(result.solver),
    }


def allocation_metrics(
    result: OptimizationResult, percents: Mapping[str, Decimal]
) -> dict[str, Decimal]:
    """The proposal's expected figures as an allocation stores them (six places), its total
    percent and leverage."""
    metrics = result.metrics

    def rounded(value: float) -> Decimal:
        return Decimal(str(round(value, 6))) if math.isfinite(value) else Decimal(0)

    total = sum(percents.values(), Decimal(0))
    return {
        "expected_sharpe": rounded(metrics.sharpe),
        "expected_return": rounded(metrics.expected_return_annual),
        "expected_volatility": rounded(metrics.volatility_annual),
        "expected_cvar": rounded(metrics.cvar),
        "max_drawdown": rounded(metrics.max_drawdown),
        "total_allocation_pct": total,
        "leverage_ratio": (total / 100).quantize(Decimal("0.0001")),
    }


def minimum_account(
    weights: Mapping[str, float],
    summaries: Mapping[str, BacktestSummary],
    extra_units: Mapping[str, TradableUnit] | None = None,
) -> dict[str, Any] | None:
    """The smallest account that trades one unit of every allocated strategy, when known."""
    units: dict[str, TradableUnit] = dict(extra_units or {})
    unknown = []
    for strategy_id, weight in weights.items():
        if weight <= 0 or strategy_id in units:
            continue
        summary = summaries.get(strategy_id)
        cost = summary.unit_cost or summary.margin_per_unit if summary else None
        margin = summary.margin_per_unit or summary.unit_cost if summary else None
        if cost is None or margin is None:
            unknown.append(strategy_id)
        else:
            units[strategy_id] = TradableUnit(unit_cost=cost, margin_per_unit=margin)
    known = {s: w for s, w in weights.items() if w > 0 and s in units}
    if not known:
        return {"unknown_unit": unknown} if unknown else None
    requirement: AccountSizeRequirement = minimum_account_size(known, units)
    return {**to_primitive(requirement), "unknown_unit": unknown}
