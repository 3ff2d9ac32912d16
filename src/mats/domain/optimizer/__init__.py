"""The portfolio optimiser: pure numpy/scipy/HiGHS, no I/O.

``optimize`` allocates by maximum return under a CVaR limit, minimum CVaR or maximum Sharpe;
``efficient_frontier`` traces return against CVaR; ``minimum_account_size`` says how much capital
a set of weights needs to trade one unit of everything within the margin limit.
"""

from mats.domain.optimizer.account import (
    AccountSizeRequirement,
    TradableUnit,
    minimum_account_size,
)
from mats.domain.optimizer.errors import OptimizerError, OptimizerErrorCode
from mats.domain.optimizer.frontier import efficient_frontier
from mats.domain.optimizer.metrics import PortfolioMetrics, RiskContribution
from mats.domain.optimizer.optimize import optimize
from mats.domain.optimizer.result import Frontier, FrontierPoint, OptimizationResult, SolverReport
from mats.domain.optimizer.settings import CovarianceEstimator, Method, OptimizerSettings

__all__ = [
    "AccountSizeRequirement",
    "CovarianceEstimator",
    "Frontier",
    "FrontierPoint",
    "Method",
    "OptimizationResult",
    "OptimizerError",
    "OptimizerErrorCode",
    "OptimizerSettings",
    "PortfolioMetrics",
    "RiskContribution",
    "SolverReport",
    "TradableUnit",
    "efficient_frontier",
    "minimum_account_size",
    "optimize",
]
