"""Covariance estimators: the sample covariance and Ledoit-Wolf shrinkage to a scaled identity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mats.domain.optimizer.errors import OptimizerError, OptimizerErrorCode
from mats.domain.optimizer.highs import FloatArray
from mats.domain.optimizer.settings import CovarianceEstimator

# Eigenvalue ratio below which a covariance matrix counts as singular for max-Sharpe.
SINGULAR_RATIO = 1e-12


@dataclass(frozen=True, eq=False)
class CovarianceEstimate:
    matrix: FloatArray
    estimator: CovarianceEstimator
    shrinkage: float | None


def estimate_covariance(returns: FloatArray, estimator: CovarianceEstimator) -> CovarianceEstimate:
    """Estimate the daily covariance of the columns of ``returns`` (days x strategies)."""
    if estimator is CovarianceEstimator.LEDOIT_WOLF:
        matrix, shrinkage = ledoit_wolf(returns)
        return CovarianceEstimate(matrix, estimator, shrinkage)
    return CovarianceEstimate(np.cov(returns, rowvar=False, ddof=1), estimator, None)


def ledoit_wolf(returns: FloatArray) -> tuple[FloatArray, float]:
    """Return the Ledoit-Wolf (2004) shrunk covariance and its shrinkage intensity.

    The target is ``m I`` with ``m`` the mean sample variance; the intensity minimises the expected
    Frobenius loss, estimated from the data: ``min(b, d) / d`` with ``d = |S - m I|^2 / N`` and
    ``b = sum_t |x_t x_t' - S|^2 / (N T^2)``. ``S`` is the maximum-likelihood covariance
    (divided by T), as in the paper and scikit-learn.
    """
    days, count = returns.shape
    centred = returns - returns.mean(axis=0)
    sample = centred.T @ centred / days
    target_variance = float(np.trace(sample)) / count
    squared = centred**2
    distance = float(np.sum((sample - target_variance * np.eye(count)) ** 2)) / count
    # sum_t |x_t x_t'|^2 = sum_ij sum_t x_ti^2 x_tj^2; the cross term with S is T |S|^2.
    spread = float(np.sum(squared.T @ squared)) / days - float(np.sum(sample**2))
    spread = min(spread / (count * days), distance)
    shrinkage = 0.0 if distance == 0 else spread / distance
    shrunk = shrinkage * target_variance * np.eye(count) + (1.0 - shrinkage) * sample
    return shrunk, shrinkage


def require_invertible(estimate: CovarianceEstimate, strategy_ids: tuple[str, ...]) -> None:
    """Raise ``SINGULAR_COVARIANCE`` when the estimate cannot separate the strategies."""
    variances = np.diag(estimate.matrix)
    largest = float(variances.max())
    try:
        # Every squared Cholesky pivot is >= the smallest eigenvalue and their product is the
        # determinant, so a singular matrix shows a ~0 pivot; a tenth of eigvalsh's cost at N=200.
        pivots = np.diag(np.linalg.cholesky(estimate.matrix)) ** 2
        smallest = float(pivots.min())
    except np.linalg.LinAlgError:
        smallest = 0.0
    if largest > 0 and smallest > SINGULAR_RATIO * largest:
        return
    flat = [strategy_ids[i] for i in np.flatnonzero(variances <= SINGULAR_RATIO * max(largest, 0))]
    cause = f"constant returns: {', '.join(flat)}" if flat else "collinear or too few days"
    hint = (
        "use covariance='ledoit_wolf'"
        if estimate.estimator is CovarianceEstimator.SAMPLE
        else "drop the redundant strategies"
    )
    raise OptimizerError(
        OptimizerErrorCode.SINGULAR_COVARIANCE,
        f"the {estimate.estimator} covariance is singular ({cause}); max-Sharpe needs an "
        f"invertible one: {hint}",
        {"smallest_pivot": smallest, "largest_variance": largest},
    )
