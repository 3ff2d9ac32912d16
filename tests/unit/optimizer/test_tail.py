"""Constraint generation reaches the full CVaR LP's optimum while holding a fraction of the days."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mats.domain.optimizer import Method, OptimizerSettings
from mats.domain.optimizer.dual import solve_min_cvar_dual
from mats.domain.optimizer.highs import SolveStatus
from mats.domain.optimizer.problem import build_problem
from mats.domain.optimizer.tail import TailModel
from tests.unit.optimizer.builders import ids, synthetic_returns
from tests.unit.optimizer.references import linprog_cvar

RETURNS = synthetic_returns(8, 600, seed=11)
IDS = ids(8)
EQUAL = np.full(8, 1 / 8)


def model_for(current: dict[str, float] | None = None, **overrides: object) -> TailModel:
    fields: dict[str, object] = {"method": Method.MIN_CVAR, "min_observations": 30}
    fields.update(overrides)
    chosen = OptimizerSettings(**fields)  # type: ignore[arg-type]
    return TailModel(build_problem(IDS, RETURNS, chosen, current))


def test_min_cvar_matches_the_dense_lp_with_a_fraction_of_the_days() -> None:
    model = model_for()

    answer = model.minimise_cvar(EQUAL)

    reference, _ = linprog_cvar(RETURNS)
    assert answer.status == SolveStatus.OPTIMAL
    assert answer.objective == pytest.approx(reference, rel=1e-9)
    assert model.day_count < len(RETURNS) / 2


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.975])
def test_min_cvar_matches_the_dense_lp_at_every_confidence(confidence: float) -> None:
    answer = model_for(cvar_confidence=confidence).minimise_cvar(EQUAL)

    reference, _ = linprog_cvar(RETURNS, confidence=confidence)
    assert answer.objective == pytest.approx(reference, rel=1e-9)


def test_a_poor_guess_only_costs_more_rounds() -> None:
    model = model_for()
    concentrated = np.zeros(8)
    concentrated[0] = 1.0

    answer = model.minimise_cvar(concentrated)

    reference, _ = linprog_cvar(RETURNS)
    assert answer.objective == pytest.approx(reference, rel=1e-9)
    assert model.runs > 1


def test_max_return_walking_the_limit_down_matches_a_cold_dense_lp_at_every_step() -> None:
    model = model_for()
    lowest = model.minimise_cvar(EQUAL).objective

    for limit in np.linspace(2.5 * lowest, lowest, 9):
        answer = model.maximise_return(float(limit))

        reference, _ = linprog_cvar(RETURNS, cvar_limit=float(limit), maximise_return=True)
        assert answer.status == SolveStatus.OPTIMAL
        assert answer.objective == pytest.approx(reference, rel=1e-9)
        assert RETURNS.mean(axis=0) @ answer.weights == pytest.approx(reference, rel=1e-9)


@pytest.mark.parametrize("turnover", [False, True])
def test_a_walk_forgets_days_the_tail_left_and_still_matches_the_dense_lp(turnover: bool) -> None:
    current = {IDS[0]: 0.5, IDS[1]: 0.5} if turnover else None
    bounded = {"turnover_limit": 1.5} if turnover else {}
    model = model_for(current, **bounded)
    weights_now = (np.array([0.5, 0.5, 0, 0, 0, 0, 0, 0]), 1.5) if turnover else None
    lowest = model.minimise_cvar(EQUAL).objective
    model.maximise_return(None)

    held = []
    for limit in np.linspace(3 * lowest, lowest, 15)[:-1]:
        answer = model.maximise_return(float(limit))
        held.append(model.day_count)

        reference, _ = linprog_cvar(
            RETURNS, cvar_limit=float(limit), maximise_return=True, turnover=weights_now
        )
        assert answer.objective == pytest.approx(reference, rel=1e-9)
    # Days join as the tail moves and the ones it left are dropped again.
    assert any(later < earlier for earlier, later in itertools.pairwise(held))
    assert max(held) < len(RETURNS) / 4


def test_max_return_without_a_limit_fills_the_best_strategies_to_their_caps() -> None:
    answer = model_for().maximise_return(None)

    best = sorted(RETURNS.mean(axis=0), reverse=True)
    assert answer.objective == pytest.approx(0.5 * sum(best[:4]), rel=1e-12)


def test_floors_and_turnover_match_the_dense_lp() -> None:
    floors = {IDS[3]: 0.1, IDS[6]: 0.05}
    model = model_for({IDS[0]: 0.5, IDS[1]: 0.5}, min_weights=floors, turnover_limit=0.6)
    current = np.array([0.5, 0.5, 0, 0, 0, 0, 0, 0])
    bounds = np.array([floors.get(i, 0.0) for i in IDS])

    lowest = model.minimise_cvar(EQUAL)
    limited = model.maximise_return(1.2 * lowest.objective)

    minimum, _ = linprog_cvar(RETURNS, floors=bounds, turnover=(current, 0.6))
    best, _ = linprog_cvar(
        RETURNS,
        floors=bounds,
        turnover=(current, 0.6),
        cvar_limit=1.2 * lowest.objective,
        maximise_return=True,
    )
    assert lowest.objective == pytest.approx(minimum, rel=1e-9)
    assert limited.objective == pytest.approx(best, rel=1e-9)
    assert np.abs(limited.weights - current).sum() <= 0.6 + 1e-9


def test_bounds_that_admit_no_allocation_come_back_infeasible() -> None:
    # The floor needs 0.1 of turnover; only 0.05 is allowed.
    model = model_for({IDS[0]: 0.5, IDS[1]: 0.5}, min_weights={IDS[3]: 0.1}, turnover_limit=0.05)

    assert model.minimise_cvar(EQUAL).status == SolveStatus.INFEASIBLE


@settings(max_examples=30, deadline=None)
@given(
    count=st.integers(2, 6),
    days=st.integers(60, 200),
    seed=st.integers(0, 10_000),
    confidence=st.sampled_from([0.9, 0.95, 0.975]),
    stretch=st.floats(1.0, 3.0),
)
def test_generation_agrees_with_the_dual_and_the_dense_lp(
    count: int, days: int, seed: int, confidence: float, stretch: float
) -> None:
    returns = synthetic_returns(count, days, seed)
    chosen = OptimizerSettings(
        method=Method.MIN_CVAR, max_weight=0.8, cvar_confidence=confidence, min_observations=2
    )
    problem = build_problem(ids(count), returns, chosen)
    model = TailModel(problem)

    lowest = model.minimise_cvar(np.full(count, 1 / count))
    limited = model.maximise_return(stretch * lowest.objective)

    assert lowest.objective == pytest.approx(solve_min_cvar_dual(problem).cvar, rel=1e-9)
    reference, _ = linprog_cvar(
        returns,
        confidence=confidence,
        cap=0.8,
        cvar_limit=stretch * lowest.objective,
        maximise_return=True,
    )
    assert limited.objective == pytest.approx(reference, rel=1e-9)
