"""What an optimisation returns: weights, their scores and how the solver got there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mats.domain.optimizer.metrics import PortfolioMetrics, RiskContribution
from mats.domain.optimizer.settings import CovarianceEstimator, Method, OptimizerSettings


@dataclass(frozen=True)
class SolverReport:
    """``formulation`` names the program the solver solved; ``objective`` is its objective at the
    weights returned, in its own units (a mean daily return, a CVaR, the max-Sharpe QP's value)."""

    status: str
    formulation: str
    objective: float
    iterations: int
    seconds: float


@dataclass(frozen=True)
class OptimizationResult:
    """An allocation and everything needed to explain it.

    ``weights`` are fractions of equity per strategy id (0.25 = 25%), in the order of
    ``strategy_ids``. ``correlation`` is the sample correlation of the strategies' daily returns
    in the same order. ``risk_contributions`` split the combined portfolio's daily volatility and
    daily CVaR across the strategies (see :class:`RiskContribution`).
    """

    method: Method
    strategy_ids: tuple[str, ...]
    weights: Mapping[str, float]
    metrics: PortfolioMetrics
    correlation: tuple[tuple[float, ...], ...]
    risk_contributions: Mapping[str, RiskContribution]
    covariance: CovarianceEstimator
    shrinkage: float | None
    solver: SolverReport
    settings: OptimizerSettings


@dataclass(frozen=True)
class FrontierPoint:
    cvar_limit: float
    weights: Mapping[str, float]
    metrics: PortfolioMetrics


@dataclass(frozen=True)
class Frontier:
    """Max-return portfolios for CVaR limits evenly spaced from the minimum CVaR up to the CVaR of
    the unconstrained max-return portfolio; returns and CVaRs never decrease along ``points``.

    ``solves`` counts HiGHS runs: a point can take more than one (days added to the model) or
    none (the previous portfolio already meets its limit). ``iterations`` are simplex pivots.
    """

    strategy_ids: tuple[str, ...]
    points: tuple[FrontierPoint, ...]
    min_cvar: float
    max_return_cvar: float
    solves: int
    iterations: int
    seconds: float
