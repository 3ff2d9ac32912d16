"""Max-Sharpe over many strategies: the QP starts on a few, then grows to the whole optimum."""

import numpy as np
import pytest

from mats.domain.optimizer import (
    CovarianceEstimator,
    Method,
    OptimizationResult,
    OptimizerSettings,
    optimize,
)
from tests.unit.optimizer.builders import ids, settings, synthetic_returns
from tests.unit.optimizer.references import slsqp_sharpe

MANY = synthetic_returns(80, 600, seed=11)
MANY_IDS = ids(80)


def sharpe_settings(**overrides: object) -> OptimizerSettings:
    fields: dict[str, object] = {
        "method": Method.MAX_SHARPE,
        "cvar_limit": None,
        "covariance": CovarianceEstimator.SAMPLE,
    }
    fields.update(overrides)
    return settings(**fields)


def weights_of(result: OptimizationResult) -> np.ndarray:
    return np.array([result.weights[i] for i in result.strategy_ids])


def assert_kkt(returns: np.ndarray, weights: np.ndarray, lower: np.ndarray, upper: float) -> None:
    """Max Sharpe over ``lower <= w <= upper``, ``1'w = s``: ``mu - g S w`` is level on the free
    weights, no higher at a floor and no lower at a cap (``g = mu'w / w'Sw``)."""
    mean, covariance = returns.mean(axis=0), np.cov(returns, rowvar=False)
    slope = mean - (mean @ weights) / (weights @ covariance @ weights) * (covariance @ weights)
    at_floor = weights <= lower + 1e-8
    at_cap = weights >= upper - 1e-8
    free = ~at_floor & ~at_cap
    level = float(np.median(slope[free]))
    scale = float(np.abs(mean).max())
    assert np.abs(slope[free] - level).max() < 1e-6 * scale
    assert (slope[at_floor] <= level + 1e-6 * scale).all()
    assert (slope[at_cap] >= level - 1e-6 * scale).all()


def test_max_sharpe_over_80_strategies_is_optimal_for_all_of_them() -> None:
    result = optimize(MANY_IDS, MANY, sharpe_settings())

    weights = weights_of(result)
    assert_kkt(MANY, weights, np.zeros(80), 0.5)
    assert result.metrics.sharpe >= slsqp_sharpe(MANY) * (1 - 1e-7)
    assert weights.sum() == pytest.approx(1.0, abs=1e-9)
    # The QP never held all 80: the report says how many it priced in.
    held = int(result.solver.formulation.split(" over ")[1].split(" of ")[0])
    assert np.count_nonzero(weights) <= held < 80


def test_a_hedge_with_the_worst_sharpe_ratio_of_its_own_joins_the_portfolio() -> None:
    generator = np.random.Generator(np.random.PCG64(3))
    market = 0.01 * generator.standard_t(5, size=(750, 1))
    returns = 0.0006 + market + 0.004 * generator.standard_normal((750, 40))
    # Last: earns little and loses when the others win, so it ranks last alone but cuts the risk.
    returns[:, -1] = 0.00005 - 0.8 * market[:, 0] + 0.004 * generator.standard_normal(750)
    own_sharpe = returns.mean(axis=0) / returns.std(axis=0)
    assert own_sharpe.argmin() == 39

    result = optimize(ids(40), returns, sharpe_settings())

    weights = weights_of(result)
    assert weights[-1] > 0.05
    assert_kkt(returns, weights, np.zeros(40), 0.5)


def test_floors_hold_on_strategies_the_first_qp_would_leave_out() -> None:
    worst = MANY.mean(axis=0).argsort()[:3]
    floors = {MANY_IDS[i]: 0.05 for i in worst}

    result = optimize(MANY_IDS, MANY, sharpe_settings(min_weights=floors))

    weights = weights_of(result)
    lower = np.zeros(80)
    lower[worst] = 0.05
    assert (weights[worst] >= 0.05 - 1e-12).all()
    assert_kkt(MANY, weights, lower, 0.5)


@pytest.mark.parametrize(
    "case",
    ["cvar-limit", "turnover", "tight-cvar-limit"],
)
def test_growing_the_qp_reaches_the_optimum_of_one_qp_over_every_strategy(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    free = optimize(MANY_IDS, MANY, sharpe_settings())
    lowest = optimize(
        MANY_IDS,
        MANY,
        settings(method=Method.MIN_CVAR, cvar_limit=None, min_total_allocation=1.0),
    ).metrics.cvar
    current: dict[str, float] = {}
    if case == "cvar-limit":
        chosen = sharpe_settings(cvar_limit=(lowest + free.metrics.cvar) / 2)
    elif case == "tight-cvar-limit":
        # Only portfolios near the minimum-CVaR one qualify, built mostly outside the first QP.
        chosen = sharpe_settings(cvar_limit=lowest * 1.02)
    else:
        # Held now: ten strategies ranked 21st-30th alone, outside the first QP's 16.
        ranked = np.argsort(-MANY.mean(axis=0) / MANY.std(axis=0))
        current = {MANY_IDS[i]: 0.1 for i in ranked[20:30]}
        chosen = sharpe_settings(turnover_limit=1.2)

    grown = optimize(MANY_IDS, MANY, chosen, current)
    monkeypatch.setattr("mats.domain.optimizer.sharpe.FIRST_HELD", 80)
    whole = optimize(MANY_IDS, MANY, chosen, current)

    assert "over 80 of 80 strategies" in whole.solver.formulation
    assert grown.metrics.sharpe == pytest.approx(whole.metrics.sharpe, rel=1e-7)
    if chosen.cvar_limit is not None:
        assert grown.metrics.cvar <= chosen.cvar_limit
    if current:
        moved = sum(abs(grown.weights[i] - current.get(i, 0.0)) for i in MANY_IDS)
        assert moved <= 1.2 + 1e-9


def test_a_cvar_limit_only_the_lesser_strategies_can_meet_is_met() -> None:
    generator = np.random.Generator(np.random.PCG64(5))
    crash = 0.01 * generator.standard_t(3, size=(500, 1))
    returns = np.empty((500, 30))
    # 20 strong strategies that crash together; 10 losing ones that barely move, which the
    # Sharpe ratio alone would never buy but the limit needs.
    returns[:, :20] = 0.001 + crash + 0.005 * generator.standard_normal((500, 20))
    returns[:, 20:] = -0.00015 + 0.001 * generator.standard_normal((500, 10))
    strong_only = optimize(
        ids(20),
        returns[:, :20],
        settings(method=Method.MIN_CVAR, cvar_limit=None, min_total_allocation=1.0),
    )
    limit = strong_only.metrics.cvar / 2

    result = optimize(ids(30), returns, sharpe_settings(cvar_limit=limit))

    weights = weights_of(result)
    assert result.metrics.cvar <= limit
    assert weights[20:].sum() > 0.5
    # The first QPs hold only strong strategies and find nothing within the limit; then all join.
    assert "over 30 of 30 strategies" in result.solver.formulation
    assert weights.sum() == pytest.approx(1.0, abs=1e-9)
