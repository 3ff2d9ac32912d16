"""Weights that are zero are zero: solver noise is snapped to 0 and no bound breaks for it."""

import numpy as np
import pytest

from mats.domain.optimizer import Method, OptimizerSettings, optimize
from mats.domain.optimizer.covariance import covariance_estimates
from mats.domain.optimizer.cvar import historical_cvar
from mats.domain.optimizer.metrics import portfolio_metrics
from mats.domain.optimizer.problem import build_problem
from mats.domain.optimizer.settings import NOISE_WEIGHT
from mats.domain.optimizer.sharpe import qp_objective
from mats.domain.optimizer.snap import snap_noise
from mats.errors import ValidationError
from tests.unit.optimizer.builders import ids, settings, synthetic_returns

IDS = ids(8)
# On these returns Clarabel leaves strategy-4 at 4e-8 and strategy-2 at 4e-10 (max-Sharpe).
NOISY = synthetic_returns(8, 300, seed=8)
# Here, under a CVaR limit halfway from the minimum to max-Sharpe's own, one strategy at 6e-7:
# scaling the rest up to the fixed total would take the CVaR 1.6e-10 over the limit.
TIGHT = synthetic_returns(8, 300, seed=1)


def sharpe_settings(**overrides: object) -> OptimizerSettings:
    fields: dict[str, object] = {
        "method": Method.MAX_SHARPE,
        "cvar_limit": None,
        "min_observations": 30,
    }
    return settings(**(fields | overrides))


def weights_of(result: object, strategy_ids: list[str] = IDS) -> np.ndarray:
    return np.array([result.weights[i] for i in strategy_ids])  # type: ignore[attr-defined]


def noise_in(weights: np.ndarray) -> np.ndarray:
    return weights[(weights > 0) & (weights < NOISE_WEIGHT)]


def test_max_sharpe_stores_no_weight_between_zero_and_the_noise_threshold() -> None:
    result = optimize(IDS, NOISY, sharpe_settings())

    weights = weights_of(result)
    assert noise_in(weights).size == 0
    assert result.weights["strategy-4"] == 0.0
    assert result.weights["strategy-2"] == 0.0
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert (weights <= 0.5).all()


def test_max_sharpe_scores_metrics_and_objective_on_the_snapped_weights() -> None:
    chosen = sharpe_settings()
    result = optimize(IDS, NOISY, chosen)

    weights = weights_of(result)
    problem = build_problem(IDS, NOISY, chosen)
    _, estimate = covariance_estimates(NOISY, chosen.covariance, problem.mean)
    assert result.metrics == portfolio_metrics(NOISY, weights, 0.95)
    assert result.solver.objective == qp_objective(problem, estimate.matrix, weights)
    assert result.risk_contributions["strategy-4"].cvar == 0.0


def test_snapping_under_a_binding_cvar_limit_never_takes_the_cvar_over_it() -> None:
    lowest = optimize(IDS, TIGHT, settings(method=Method.MIN_CVAR, cvar_limit=None))
    free = optimize(IDS, TIGHT, sharpe_settings())
    limit = (lowest.metrics.cvar + free.metrics.cvar) / 2

    result = optimize(IDS, TIGHT, sharpe_settings(cvar_limit=limit))

    weights = weights_of(result)
    assert noise_in(weights).size == 0
    assert historical_cvar(-(TIGHT @ weights), 0.95) <= limit
    assert result.metrics.cvar <= limit
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert "solved again" in result.solver.formulation


def test_the_fixed_total_is_refilled_in_proportion_and_never_past_a_cap() -> None:
    problem = build_problem(IDS[:3], NOISY[:, :3], sharpe_settings())

    snapped = snap_noise(problem, np.array([0.5, 0.4999996, 4e-7]))

    assert snapped is not None
    assert snapped[0] == 0.5
    assert snapped[1] == pytest.approx(0.5, abs=1e-15)
    assert snapped[1] <= 0.5
    assert snapped[2] == 0.0


def test_refilling_keeps_the_proportions_of_the_strategies_below_their_caps() -> None:
    problem = build_problem(IDS[:4], NOISY[:, :4], sharpe_settings())

    snapped = snap_noise(problem, np.array([0.5, 0.3, 0.2 - 5e-7, 5e-7]))

    assert snapped is not None
    assert snapped[0] == 0.5
    assert snapped[3] == 0.0
    assert snapped[1] / snapped[2] == pytest.approx(0.3 / (0.2 - 5e-7), rel=1e-14)
    assert snapped.sum() == pytest.approx(1.0, abs=1e-15)


def test_a_snap_that_would_spend_more_turnover_than_the_limit_is_refused() -> None:
    current = {"strategy-0": 0.25, "strategy-1": 0.25, "strategy-2": 0.5}
    weights = np.array([0.5 - 2.5e-7, 0.5 - 2.5e-7, 5e-7])
    # The answer spends the whole budget; dropping strategy-2's 5e-7 moves it 5e-7 further from
    # its current weight, and refilling the total moves the other two 2.5e-7 further each.
    budget = float(abs(weights - np.array(list(current.values()))).sum())
    chosen = settings(method=Method.MIN_CVAR, cvar_limit=None, turnover_limit=budget)
    problem = build_problem(IDS[:3], NOISY[:, :3], chosen, current)

    assert snap_noise(problem, weights) is None


def test_the_total_floor_is_kept_by_refilling_after_a_snap() -> None:
    problem = build_problem(
        IDS[:3], NOISY[:, :3], settings(method=Method.MIN_CVAR, cvar_limit=None)
    )

    snapped = snap_noise(problem, np.array([0.5, 0.5 - 5e-7, 5e-7]))

    assert snapped is not None
    assert snapped[2] == 0.0
    assert snapped.sum() == pytest.approx(1.0, abs=1e-15)


def test_a_total_with_room_in_its_range_is_not_refilled() -> None:
    chosen = settings(cvar_limit=0.05, min_total_allocation=0.0)
    problem = build_problem(IDS[:3], NOISY[:, :3], chosen)

    snapped = snap_noise(problem, np.array([0.5, 0.3, 5e-7]))

    assert snapped is not None
    assert snapped.tolist() == [0.5, 0.3, 0.0]


def test_a_floor_below_the_noise_threshold_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        settings(min_weights={"strategy-0": NOISE_WEIGHT / 2})

    assert refused.value.field == "min_weights.strategy-0"
