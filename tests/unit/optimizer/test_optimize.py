"""Each method reaches the optimum an independent formulation finds, and reports it faithfully."""

from pathlib import Path

import numpy as np
import pytest

from mats.domain.backtests import parse_backtest_csv
from mats.domain.optimizer import CovarianceEstimator, Method, optimize
from mats.domain.optimizer.cvar import historical_cvar, primal_program, return_cost
from mats.domain.optimizer.dual import solve_min_cvar_dual
from mats.domain.optimizer.errors import OptimizerError, OptimizerErrorCode
from mats.domain.optimizer.highs import HighsModel
from mats.domain.optimizer.problem import build_problem
from mats.domain.simulation import align
from mats.localstack.demo import write_demo_backtests
from tests.unit.optimizer.builders import ids, settings, synthetic_returns
from tests.unit.optimizer.references import linprog_cvar, slsqp_sharpe

RETURNS = synthetic_returns(8, 300)
IDS = ids(8)


def weights_of(result: object) -> np.ndarray:
    return np.array([result.weights[i] for i in IDS])  # type: ignore[attr-defined]


def test_min_cvar_matches_the_dense_primal_lp() -> None:
    result = optimize(IDS, RETURNS, settings(method=Method.MIN_CVAR, cvar_limit=None))

    reference, _ = linprog_cvar(RETURNS)

    assert result.metrics.cvar == pytest.approx(reference, rel=1e-9)
    assert result.solver.objective == pytest.approx(reference, rel=1e-9)
    assert result.solver.formulation == "dual Rockafellar-Uryasev LP"


def test_min_cvar_dual_and_primal_objectives_close_the_duality_gap() -> None:
    problem = build_problem(IDS, RETURNS, settings(method=Method.MIN_CVAR, cvar_limit=None))
    from mats.domain.optimizer.cvar import cvar_cost  # noqa: PLC0415 - local to this check.

    primal = HighsModel(primal_program(problem, cvar_cost(problem), None)).solve()
    dual = solve_min_cvar_dual(problem)

    assert dual.cvar == pytest.approx(primal.objective, rel=1e-10)
    assert historical_cvar(-(RETURNS @ dual.weights), 0.95) == pytest.approx(dual.cvar, rel=1e-9)


def test_max_return_meets_its_cvar_limit_and_matches_the_dense_lp() -> None:
    limit = 0.016
    result = optimize(IDS, RETURNS, settings(cvar_limit=limit))

    reference, _ = linprog_cvar(RETURNS, cvar_limit=limit, maximise_return=True)

    assert result.metrics.expected_return_daily == pytest.approx(reference, rel=1e-9)
    assert result.metrics.cvar <= limit * (1 + 1e-9)
    assert 1.0 - 1e-9 <= result.metrics.leverage <= 2.0 + 1e-9
    assert max(result.weights.values()) <= 0.5


def test_max_return_satisfies_lp_optimality_with_the_highs_duals() -> None:
    problem = build_problem(IDS, RETURNS, settings(cvar_limit=0.016))
    program = primal_program(problem, return_cost(problem), 0.016)
    solution = HighsModel(program).solve()
    rows = np.zeros((program.rows.row_count, len(program.cost)))
    for row in range(program.rows.row_count):
        span = slice(program.rows.indptr[row], program.rows.indptr[row + 1])
        rows[row, program.rows.indices[span]] = program.rows.values[span]

    # Stationarity: c = A'y + z; the dual objective then equals the primal one (no gap).
    reduced = program.cost - rows.T @ solution.row_duals
    row_bound = np.where(solution.row_duals > 0, program.row_lower, program.row_upper)
    col_bound = np.where(solution.col_duals > 0, program.col_lower, program.col_upper)
    active_rows = np.abs(solution.row_duals) > 1e-12
    active_cols = np.abs(solution.col_duals) > 1e-12
    dual_objective = solution.row_duals[active_rows] @ row_bound[active_rows]
    dual_objective += solution.col_duals[active_cols] @ col_bound[active_cols]

    assert np.abs(reduced - solution.col_duals).max() < 1e-9
    assert dual_objective == pytest.approx(solution.objective, rel=1e-9)


def test_max_sharpe_matches_slsqp_on_the_weights() -> None:
    result = optimize(IDS, RETURNS, settings(method=Method.MAX_SHARPE, cvar_limit=None))

    assert result.metrics.sharpe == pytest.approx(slsqp_sharpe(RETURNS), rel=1e-6)
    assert result.metrics.leverage == pytest.approx(1.0, abs=1e-9)


def test_max_sharpe_at_twice_leverage_respects_the_caps_at_that_scale() -> None:
    result = optimize(
        IDS,
        RETURNS,
        settings(method=Method.MAX_SHARPE, cvar_limit=None, sharpe_total_allocation=2.0),
    )

    assert result.metrics.leverage == pytest.approx(2.0, abs=1e-9)
    assert result.metrics.sharpe == pytest.approx(slsqp_sharpe(RETURNS, total=2.0), rel=1e-6)


def test_max_sharpe_with_a_cvar_limit_keeps_cvar_within_it() -> None:
    free = optimize(IDS, RETURNS, settings(method=Method.MAX_SHARPE, cvar_limit=None))
    limit = free.metrics.cvar * 0.97

    bound = optimize(IDS, RETURNS, settings(method=Method.MAX_SHARPE, cvar_limit=limit))

    assert bound.metrics.cvar <= limit * (1 + 1e-8)
    assert bound.metrics.sharpe <= free.metrics.sharpe + 1e-9


def test_ledoit_wolf_max_sharpe_reports_its_shrinkage() -> None:
    result = optimize(
        IDS,
        RETURNS,
        settings(
            method=Method.MAX_SHARPE, cvar_limit=None, covariance=CovarianceEstimator.LEDOIT_WOLF
        ),
    )

    assert result.covariance is CovarianceEstimator.LEDOIT_WOLF
    assert result.shrinkage is not None
    assert 0 < result.shrinkage < 1


def test_turnover_limit_bounds_the_distance_from_the_current_allocation() -> None:
    current = {IDS[0]: 0.5, IDS[1]: 0.5, "retired": 0.1}

    result = optimize(IDS, RETURNS, settings(turnover_limit=0.4), current)

    moved = sum(abs(result.weights[i] - current.get(i, 0.0)) for i in IDS) + 0.1
    assert moved <= 0.4 + 1e-9


def test_turnover_limit_agrees_between_min_cvar_primal_and_dual() -> None:
    current = {IDS[2]: 0.5, IDS[3]: 0.5}
    limited = settings(method=Method.MIN_CVAR, cvar_limit=None, turnover_limit=0.3)
    problem = build_problem(IDS, RETURNS, limited, current)
    from mats.domain.optimizer.cvar import cvar_cost  # noqa: PLC0415 - local to this check.

    primal = HighsModel(primal_program(problem, cvar_cost(problem), None)).solve()
    result = optimize(IDS, RETURNS, limited, current)

    assert result.metrics.cvar == pytest.approx(primal.objective, rel=1e-9)
    assert sum(abs(result.weights[i] - current.get(i, 0.0)) for i in IDS) <= 0.3 + 1e-9


def test_floors_hold_for_every_method() -> None:
    floors = {IDS[5]: 0.2, IDS[6]: 0.1}
    for method, limit in (
        (Method.MAX_RETURN, 0.02),
        (Method.MIN_CVAR, None),
        (Method.MAX_SHARPE, None),
    ):
        result = optimize(
            IDS, RETURNS, settings(method=method, cvar_limit=limit, min_weights=floors)
        )
        assert result.weights[IDS[5]] >= 0.2 - 1e-12
        assert result.weights[IDS[6]] >= 0.1 - 1e-12


def test_result_reports_consistent_metrics_and_attribution() -> None:
    result = optimize(IDS, RETURNS, settings(cvar_limit=0.018))
    weights = weights_of(result)
    daily = RETURNS @ weights

    contributions = result.risk_contributions.values()
    assert sum(c.cvar for c in contributions) == pytest.approx(result.metrics.cvar, rel=1e-9)
    assert sum(c.volatility for c in contributions) == pytest.approx(
        result.metrics.volatility_daily, rel=1e-9
    )
    assert result.metrics.expected_return_annual == pytest.approx(252 * daily.mean())
    assert result.metrics.leverage == pytest.approx(weights.sum())
    correlation = np.array(result.correlation)
    assert np.allclose(correlation, correlation.T)
    assert np.allclose(np.diag(correlation), 1.0)
    assert np.allclose(correlation, np.corrcoef(RETURNS, rowvar=False))
    assert 0 <= result.metrics.max_drawdown <= 1


def demo_returns(directory: Path) -> tuple[list[str], np.ndarray]:
    write_demo_backtests(directory)
    chosen = ["meanrev-spy", "momentum-aapl", "trend-es"]
    series = {
        strategy_id: parse_backtest_csv((directory / f"{strategy_id}.csv").read_text(), strategy_id)
        for strategy_id in chosen
    }
    aligned = align(series)
    return list(aligned.strategy_ids), aligned.matrix


def best_sharpe_on_a_grid(returns: np.ndarray, limit: float, step: float = 0.0025) -> float:
    """The best Sharpe ratio among fully invested 3-strategy portfolios (caps 50%) on a grid."""
    levels = np.arange(0.0, 0.5 + step / 2, step)
    first, second = np.meshgrid(levels, levels)
    third = 1.0 - first - second
    allowed = (third >= -1e-12) & (third <= 0.5 + 1e-12)
    weights = np.column_stack([first[allowed], second[allowed], third[allowed]])
    mean, covariance = returns.mean(axis=0), np.cov(returns, rowvar=False)
    best = -np.inf
    for chunk in np.array_split(weights, 20):
        losses = -(chunk @ returns.T)
        cvar = np.array([historical_cvar(row, 0.95) for row in losses])
        sharpe = (chunk @ mean) / np.sqrt(np.einsum("ij,jk,ik->i", chunk, covariance, chunk))
        feasible = sharpe[cvar <= limit]
        if feasible.size:
            best = max(best, float(feasible.max()))
    return best * np.sqrt(252)


@pytest.mark.parametrize("position", [0.1, 0.5, 0.9, 10.0])
def test_max_sharpe_on_the_demo_backtests_holds_a_cvar_limit_and_beats_every_grid_point(
    tmp_path: Path, position: float
) -> None:
    strategy_ids, returns = demo_returns(tmp_path)
    free = optimize(strategy_ids, returns, settings(method=Method.MAX_SHARPE, cvar_limit=None))
    lowest = optimize(
        strategy_ids,
        returns,
        settings(
            method=Method.MIN_CVAR,
            cvar_limit=None,
            min_total_allocation=1.0,
            max_total_allocation=1.0,
        ),
    )
    limit = lowest.metrics.cvar + position * (free.metrics.cvar - lowest.metrics.cvar)

    bound = optimize(strategy_ids, returns, settings(method=Method.MAX_SHARPE, cvar_limit=limit))

    assert bound.metrics.cvar <= limit * (1 + 1e-9)
    assert bound.metrics.sharpe <= free.metrics.sharpe + 1e-9
    assert bound.metrics.sharpe >= best_sharpe_on_a_grid(returns, limit) - 1e-9


def best_sharpe_of_mixes(returns: np.ndarray, limit: float, *portfolios: np.ndarray) -> float:
    """The best Sharpe ratio among mixes of each pair of ``portfolios`` within the CVaR limit."""
    mean, covariance = returns.mean(axis=0), np.cov(returns, rowvar=False)
    best = -np.inf
    for first in portfolios:
        for second in portfolios:
            for share in np.linspace(0.0, 1.0, 201):
                weights = share * first + (1 - share) * second
                if historical_cvar(-(returns @ weights), 0.95) <= limit:
                    sharpe = (mean @ weights) / np.sqrt(weights @ covariance @ weights)
                    best = max(best, float(sharpe))
    return best * np.sqrt(252)


@pytest.mark.parametrize(
    ("shape", "position"),
    [((30, 500, 3), 0.02), ((30, 500, 3), 0.1), ((20, 756, 7), 0.02), ((40, 1000, 11), 0.05)],
)
def test_max_sharpe_under_a_tight_cvar_limit_meets_it_and_beats_every_feasible_mix(
    shape: tuple[int, int, int], position: float
) -> None:
    # The limits that stopped HiGHS' active-set QP solver ("Solve error"), or kept it running.
    count, days, seed = shape
    returns, strategy_ids = synthetic_returns(count, days, seed=seed), ids(count)
    fully_invested = {"min_total_allocation": 1.0, "max_total_allocation": 1.0}
    free = optimize(strategy_ids, returns, settings(method=Method.MAX_SHARPE, cvar_limit=None))
    lowest = optimize(
        strategy_ids,
        returns,
        settings(method=Method.MIN_CVAR, cvar_limit=None, **fully_invested),
    )
    limit = lowest.metrics.cvar + position * (free.metrics.cvar - lowest.metrics.cvar)
    richest = optimize(
        strategy_ids,
        returns,
        settings(method=Method.MAX_RETURN, cvar_limit=limit, **fully_invested),
    )

    bound = optimize(strategy_ids, returns, settings(method=Method.MAX_SHARPE, cvar_limit=limit))

    assert bound.metrics.cvar <= limit
    assert bound.metrics.leverage == pytest.approx(1.0, abs=1e-9)
    assert max(bound.weights.values()) <= 0.5
    assert bound.metrics.sharpe <= free.metrics.sharpe + 1e-9
    candidates = [
        np.array([result.weights[i] for i in strategy_ids]) for result in (free, lowest, richest)
    ]
    assert bound.metrics.sharpe >= best_sharpe_of_mixes(returns, limit, *candidates) - 1e-9


def test_max_sharpe_says_so_when_no_portfolio_within_the_limit_earns_a_positive_return() -> None:
    rng = np.random.default_rng(5)
    calm = rng.normal(-0.0002, 0.002, size=(400, 2))
    wild = rng.normal(0.002, 0.03, size=(400, 1))
    returns = np.hstack([wild, calm])
    strategy_ids = ids(3)
    fully_invested = {"min_total_allocation": 1.0, "max_total_allocation": 1.0}
    lowest = optimize(
        strategy_ids, returns, settings(method=Method.MIN_CVAR, cvar_limit=None, **fully_invested)
    )
    limit = lowest.metrics.cvar * 1.05
    richest = optimize(
        strategy_ids,
        returns,
        settings(method=Method.MAX_RETURN, cvar_limit=limit, **fully_invested),
    )
    assert richest.metrics.expected_return_daily < 0  # the LP's judgement, independent of the QP

    with pytest.raises(OptimizerError) as raised:
        optimize(strategy_ids, returns, settings(method=Method.MAX_SHARPE, cvar_limit=limit))

    assert raised.value.code is OptimizerErrorCode.INFEASIBLE_CONSTRAINTS
    assert "positive expected return" in str(raised.value)
