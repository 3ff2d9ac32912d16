"""Infeasible or degenerate inputs raise a specific, actionable error; nothing falls back."""

import numpy as np
import pytest

from mats.domain.optimizer import (
    CovarianceEstimator,
    Method,
    OptimizerError,
    OptimizerErrorCode,
    OptimizerSettings,
    optimize,
)
from mats.errors import PermanentError, ValidationError
from tests.unit.optimizer.builders import ids, settings, synthetic_returns

RETURNS = synthetic_returns(5, 120)
IDS = ids(5)
SHARPE = {"method": Method.MAX_SHARPE, "cvar_limit": None}


def code_of(strategy_ids: list[str], returns: object, **overrides: object) -> OptimizerError:
    with pytest.raises(OptimizerError) as raised:
        optimize(strategy_ids, returns, settings(**overrides))  # type: ignore[arg-type]
    assert isinstance(raised.value, PermanentError)
    return raised.value


def test_no_eligible_strategies_is_an_error() -> None:
    error = code_of([], np.zeros((100, 0)))

    assert error.code is OptimizerErrorCode.NO_STRATEGIES


def test_one_strategy_tells_the_caller_to_allocate_it_directly() -> None:
    error = code_of(["solo"], RETURNS[:, :1])

    assert error.code is OptimizerErrorCode.ONE_STRATEGY
    assert "solo" in error.message
    assert "Allocate it directly" in error.message


def test_duplicate_ids_are_rejected() -> None:
    error = code_of(["a", "b", "a"], RETURNS[:, :3])

    assert error.code is OptimizerErrorCode.DUPLICATE_STRATEGY


def test_returns_of_the_wrong_shape_are_rejected() -> None:
    error = code_of(IDS, RETURNS[:, :4])

    assert error.code is OptimizerErrorCode.SHAPE_MISMATCH


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_returns_name_the_strategy_and_day(bad: float) -> None:
    returns = RETURNS.copy()
    returns[17, 3] = bad

    error = code_of(IDS, returns)

    assert error.code is OptimizerErrorCode.NON_FINITE_RETURNS
    assert error.details == {"strategy_id": IDS[3], "day": 17}


def test_a_total_loss_day_is_rejected() -> None:
    returns = RETURNS.copy()
    returns[3, 1] = -1.0

    assert code_of(IDS, returns).code is OptimizerErrorCode.RETURN_BELOW_TOTAL_LOSS


def test_too_few_observations_say_how_many_are_needed() -> None:
    error = code_of(IDS, RETURNS[:59])

    assert error.code is OptimizerErrorCode.TOO_FEW_OBSERVATIONS
    assert error.details == {"observations": 59, "required": 60}


@pytest.mark.parametrize("method", [Method.MAX_RETURN, Method.MAX_SHARPE])
def test_all_negative_means_cannot_be_maximised(method: Method) -> None:
    losing = RETURNS - RETURNS.mean(axis=0) - 0.001
    limit = 0.05 if method is Method.MAX_RETURN else None

    error = code_of(IDS, losing, method=method, cvar_limit=limit)

    assert error.code is OptimizerErrorCode.NO_POSITIVE_MEAN


def test_min_cvar_accepts_all_negative_means() -> None:
    losing = RETURNS - RETURNS.mean(axis=0) - 0.001

    result = optimize(IDS, losing, settings(method=Method.MIN_CVAR, cvar_limit=None))

    assert result.metrics.expected_return_daily < 0


def test_singular_sample_covariance_suggests_ledoit_wolf() -> None:
    returns = np.hstack([RETURNS, RETURNS[:, :1]])

    error = code_of(ids(6), returns, **SHARPE)

    assert error.code is OptimizerErrorCode.SINGULAR_COVARIANCE
    assert "ledoit_wolf" in error.message


def test_ledoit_wolf_handles_the_collinear_case() -> None:
    returns = np.hstack([RETURNS, RETURNS[:, :1]])

    result = optimize(
        ids(6), returns, settings(**SHARPE, covariance=CovarianceEstimator.LEDOIT_WOLF)
    )

    assert result.metrics.leverage == pytest.approx(1.0)


def test_constant_strategy_is_named_in_the_singular_error() -> None:
    returns = RETURNS.copy()
    returns[:, 2] = 0.0001

    error = code_of(IDS, returns, **SHARPE)

    assert IDS[2] in error.message


def test_cvar_limit_below_the_minimum_reports_the_minimum() -> None:
    minimum = optimize(IDS, RETURNS, settings(method=Method.MIN_CVAR, cvar_limit=None))

    error = code_of(IDS, RETURNS, cvar_limit=minimum.metrics.cvar * 0.9)

    assert error.code is OptimizerErrorCode.CVAR_LIMIT_TOO_LOW
    assert error.details["minimum_cvar"] == pytest.approx(minimum.metrics.cvar, rel=1e-9)


def test_sharpe_cvar_limit_below_the_minimum_reports_the_minimum() -> None:
    error = code_of(IDS, RETURNS, method=Method.MAX_SHARPE, cvar_limit=0.0001)

    assert error.code is OptimizerErrorCode.CVAR_LIMIT_TOO_LOW
    assert "lower sharpe_total_allocation" in str(error)


def test_caps_that_cannot_reach_the_minimum_total_are_infeasible() -> None:
    error = code_of(IDS, RETURNS, max_weight=0.15)

    assert error.code is OptimizerErrorCode.INFEASIBLE_CONSTRAINTS
    assert error.details["max_reachable_total"] == pytest.approx(0.75)


def test_floors_above_the_total_are_infeasible() -> None:
    floors = {i: 0.45 for i in IDS}

    assert code_of(IDS, RETURNS, min_weights=floors).code is (
        OptimizerErrorCode.INFEASIBLE_CONSTRAINTS
    )


def test_a_turnover_limit_that_cannot_reach_the_total_is_infeasible() -> None:
    error = code_of(IDS, RETURNS, turnover_limit=0.1)

    assert error.code is OptimizerErrorCode.INFEASIBLE_CONSTRAINTS


def test_dropped_strategies_use_up_the_turnover_budget() -> None:
    with pytest.raises(OptimizerError) as raised:
        optimize(IDS, RETURNS, settings(turnover_limit=0.2), {"retired": 0.3})

    assert raised.value.details["forced_turnover"] == pytest.approx(0.3)


def test_floors_for_ineligible_strategies_are_rejected() -> None:
    error = code_of(IDS, RETURNS, min_weights={"unknown": 0.1})

    assert error.code is OptimizerErrorCode.UNKNOWN_STRATEGY


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"cvar_limit": None}, "cvar_limit"),
        ({"cvar_limit": -0.01}, "cvar_limit"),
        ({"cvar_confidence": 1.0}, "cvar_confidence"),
        ({"max_weight": 0.0}, "max_weight"),
        ({"min_total_allocation": 3.0}, "min_total_allocation"),
        ({"method": Method.MIN_CVAR, "cvar_limit": 0.02}, "cvar_limit"),
        (
            {"method": Method.MIN_CVAR, "cvar_limit": None, "min_total_allocation": 0.0},
            "min_total_allocation",
        ),
        ({"method": Method.MAX_SHARPE, "sharpe_total_allocation": 2.5}, "sharpe_total_allocation"),
        ({"turnover_limit": float("nan")}, "turnover_limit"),
        ({"min_weights": {"a": 0.6}}, "min_weights.a"),
    ],
)
def test_bad_settings_name_the_field(fields: dict[str, object], field: str) -> None:
    base: dict[str, object] = {"method": Method.MAX_RETURN, "cvar_limit": 0.02}
    base.update(fields)

    with pytest.raises(ValidationError) as raised:
        OptimizerSettings(**base)  # type: ignore[arg-type]

    assert raised.value.field == field


def test_negative_current_weights_name_the_strategy() -> None:
    with pytest.raises(ValidationError) as raised:
        optimize(IDS, RETURNS, settings(), {IDS[0]: -0.1})

    assert raised.value.field == f"current_weights.{IDS[0]}"


def test_a_qp_solve_that_runs_out_of_iterations_fails_by_name_instead_of_running_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The interior-point solver honours its limits; a solve that reaches one is SOLVER_FAILED.
    monkeypatch.setattr("mats.domain.optimizer.qp.MAX_ITERATIONS", 2)

    error = code_of(IDS, RETURNS, **SHARPE)

    assert error.code is OptimizerErrorCode.SOLVER_FAILED
    assert "MaxIterations" in error.message


def test_a_sharpe_cvar_limit_at_the_minimum_is_answered_or_named_never_a_solver_failure() -> None:
    # Caps of 30% on four strategies at a 120% total leave one portfolio: 30% each. At a limit
    # equal to its CVaR an interior point has (almost) nothing to stand on.
    returns, strategy_ids = synthetic_returns(4, 864, seed=175655), ids(4)
    only = optimize(
        strategy_ids,
        returns,
        settings(method=Method.MIN_CVAR, cvar_limit=None, max_weight=0.3, min_total_allocation=1.2),
    )
    sharpe = {"method": Method.MAX_SHARPE, "max_weight": 0.3, "sharpe_total_allocation": 1.2}

    try:
        answer = optimize(strategy_ids, returns, settings(cvar_limit=only.metrics.cvar, **sharpe))
    except OptimizerError as error:
        assert error.code is OptimizerErrorCode.CVAR_LIMIT_TOO_LOW
        assert error.details["minimum_cvar"] == pytest.approx(only.metrics.cvar, rel=1e-9)
        assert "min_cvar" in error.message or "below" in error.message
    else:
        assert answer.metrics.cvar <= only.metrics.cvar
        assert all(weight == pytest.approx(0.3, abs=1e-7) for weight in answer.weights.values())
    below = code_of(strategy_ids, returns, cvar_limit=only.metrics.cvar * 0.999, **sharpe)
    assert below.code is OptimizerErrorCode.CVAR_LIMIT_TOO_LOW
