"""Ledoit-Wolf shrinkage, implemented with numpy, against its textbook definition."""

import numpy as np
import pytest

from mats.domain.optimizer import CovarianceEstimator
from mats.domain.optimizer.covariance import covariance_estimates, ledoit_wolf
from tests.unit.optimizer.builders import synthetic_returns


def textbook_ledoit_wolf(returns: np.ndarray) -> tuple[np.ndarray, float]:
    days, count = returns.shape
    centred = returns - returns.mean(axis=0)
    sample = centred.T @ centred / days
    target = np.trace(sample) / count
    distance = np.sum((sample - target * np.eye(count)) ** 2) / count
    spread = sum(np.sum((np.outer(row, row) - sample) ** 2) for row in centred) / (count * days**2)
    shrinkage = min(spread, distance) / distance
    return shrinkage * target * np.eye(count) + (1 - shrinkage) * sample, shrinkage


@pytest.mark.parametrize(("count", "days"), [(4, 80), (12, 30), (30, 20)])
def test_ledoit_wolf_matches_the_textbook_formula(count: int, days: int) -> None:
    returns = synthetic_returns(count, days, seed=count)

    matrix, shrinkage = ledoit_wolf(returns)
    expected, expected_shrinkage = textbook_ledoit_wolf(returns)

    assert shrinkage == pytest.approx(expected_shrinkage, rel=1e-10)
    assert np.allclose(matrix, expected, rtol=1e-10, atol=0)
    assert np.linalg.eigvalsh(matrix)[0] > 0


def test_the_sample_estimate_is_numpys_unbiased_covariance() -> None:
    returns = synthetic_returns(7, 90, seed=5)

    sample, same = covariance_estimates(returns, CovarianceEstimator.SAMPLE)

    assert same is sample
    assert np.allclose(sample.matrix, np.cov(returns, rowvar=False), rtol=1e-12, atol=0)
    assert np.array_equal(sample.matrix, sample.matrix.T)


def test_ledoit_wolf_shares_the_centring_with_the_sample_estimate() -> None:
    returns = synthetic_returns(7, 90, seed=5)

    sample, shrunk = covariance_estimates(
        returns, CovarianceEstimator.LEDOIT_WOLF, returns.mean(axis=0)
    )

    matrix, shrinkage = ledoit_wolf(returns)
    assert np.allclose(sample.matrix, np.cov(returns, rowvar=False), rtol=1e-12, atol=0)
    assert shrunk.shrinkage == pytest.approx(shrinkage, rel=1e-12)
    assert np.allclose(shrunk.matrix, matrix, rtol=1e-12, atol=0)
