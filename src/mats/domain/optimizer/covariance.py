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
    return covariance_estimates(returns, estimator)[1]


def covariance_estimates(
    returns: FloatArray, estimator: CovarianceEstimator, mean: FloatArray | None = None
) -> tuple[CovarianceEstimate, CovarianceEstimate]:
    """Return the sample covariance and ``estimator``'s, centring the returns once.

    ``mean`` is the column mean of ``returns`` when the caller has it already. For ``SAMPLE``
    both are the same estimate.
    """
    centred = returns - (returns.mean(axis=0) if mean is None else mean)
    # X'X of one operand runs as a symmetric rank-k update: half the flops of np.cov's product.
    scatter = centred.T @ centred
    sample = CovarianceEstimate(scatter / (len(returns) - 1), CovarianceEstimator.SAMPLE, None)
    if estimator is CovarianceEstimator.SAMPLE:
        return sample, sample
    matrix, shrinkage = _shrink(centred, scatter)
    return sample, CovarianceEstimate(matrix, estimator, shrinkage)


def ledoit_wolf(returns: FloatArray) -> tuple[FloatArray, float]:
    """Return the Ledoit-Wolf (2004) shrunk covariance and its shrinkage intensity.

    The target is ``m I`` with ``m`` the mean sample variance; the intensity minimises the expected
    Frobenius loss, estimated from the data: ``min(b, d) / d`` with ``d = |S - m I|^2 / N`` and
    ``b = sum_t |x_t x_t' - S|^2 / (N T^2)``. ``S`` is the maximum-likelihood covariance
    (divided by T), as in the paper and scikit-learn.
    """
    centred = returns - returns.mean(axis=0)
    return _shrink(centred, centred.T @ centred)


def _shrink(centred: FloatArray, scatter: FloatArray) -> tuple[FloatArray, float]:
    days, count = centred.shape
    sample = scatter / days
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
