"""Scores computed in batches, and the CVaR tail found by partition, match their plain versions."""

import numpy as np
import pytest

from mats.domain.optimizer.cvar import historical_cvar, historical_cvars, tail_days
from mats.domain.optimizer.metrics import (
    max_drawdown,
    portfolio_metrics,
    portfolio_metrics_batch,
    risk_contributions,
)
from tests.unit.optimizer.builders import synthetic_returns

RETURNS = synthetic_returns(5, 200)


def stable_sort_tail(losses: np.ndarray, confidence: float) -> np.ndarray:
    tail = (1 - confidence) * len(losses)
    whole = int(np.floor(tail + 1e-9))
    order = np.argsort(-losses, kind="stable")
    weights = np.zeros(len(losses))
    weights[order[:whole]] = 1.0
    weights[order[whole]] = tail - whole
    return weights / tail


def dense(days: np.ndarray, weights: np.ndarray, length: int) -> np.ndarray:
    result = np.zeros(length)
    result[days] = weights
    return result


def test_historical_cvar_counts_the_edge_day_fractionally() -> None:
    losses = np.array([1.0, 5.0, 3.0, 4.0, 2.0])

    assert historical_cvar(losses, 0.7) == pytest.approx((5 + 0.5 * 4) / 1.5)


@pytest.mark.parametrize("confidence", [0.5, 0.9, 0.95, 0.975])
def test_tail_days_weigh_each_day_as_a_stable_sort_does(confidence: float) -> None:
    losses = -RETURNS @ np.full(5, 0.2)

    days, weights = tail_days(losses, confidence)

    expected = stable_sort_tail(losses, confidence)
    assert np.allclose(dense(days, weights, len(losses)), expected, rtol=0, atol=1e-15)
    assert weights @ losses[days] == pytest.approx(historical_cvar(losses, confidence))


def test_tied_losses_at_the_edge_go_to_the_earlier_days_first() -> None:
    losses = np.array([0.0, 2.0, 1.0, 2.0, 1.0, 1.0, 3.0, 1.0, 0.0, 1.0])

    days, weights = tail_days(losses, 0.65)

    assert np.array_equal(dense(days, weights, 10), stable_sort_tail(losses, 0.65))


def test_batch_scores_match_one_portfolio_at_a_time() -> None:
    weights = np.array(
        [[0.2, 0.5, 0.0], [0.2, 0.0, 0.3], [0.2, 0.5, 0.3], [0.2, 0.0, 0.4], [0.2, 0.0, 0.0]]
    )

    batch = portfolio_metrics_batch(RETURNS, weights, 0.95)

    for column, scored in enumerate(batch):
        single = portfolio_metrics(RETURNS, weights[:, column], 0.95)
        assert scored.cvar == pytest.approx(historical_cvar(-RETURNS @ weights[:, column], 0.95))
        assert scored.max_drawdown == pytest.approx(max_drawdown(RETURNS @ weights[:, column]))
        for name in (
            "expected_return_daily",
            "volatility_daily",
            "cvar",
            "max_drawdown",
            "leverage",
        ):
            assert getattr(scored, name) == pytest.approx(getattr(single, name), rel=1e-12)


def test_historical_cvars_score_each_column() -> None:
    losses = -RETURNS

    assert np.allclose(
        historical_cvars(losses, 0.9), [historical_cvar(column, 0.9) for column in losses.T]
    )


def test_cvar_contributions_add_up_to_the_portfolio_cvar() -> None:
    weights = np.array([0.1, 0.4, 0.2, 0.0, 0.3])
    covariance = np.cov(RETURNS, rowvar=False)

    contributions = risk_contributions(RETURNS, covariance, weights, 0.95)

    cvar = historical_cvar(-(RETURNS @ weights), 0.95)
    assert sum(c.cvar for c in contributions) == pytest.approx(cvar, rel=1e-12)
    assert contributions[3].cvar == 0.0
