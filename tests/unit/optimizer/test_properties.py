"""Properties: any allocation the optimiser returns respects every bound it was given."""

import contextlib
import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mats.domain.optimizer import (
    Method,
    OptimizerError,
    OptimizerSettings,
    efficient_frontier,
    optimize,
)
from mats.domain.optimizer.cvar import historical_cvar
from mats.domain.optimizer.settings import NOISE_WEIGHT
from tests.unit.optimizer.builders import ids, synthetic_returns

TOLERANCE = 1e-9


@st.composite
def problems(draw: st.DrawFn) -> tuple[list[str], np.ndarray, OptimizerSettings, dict[str, float]]:
    count = draw(st.integers(2, 7))
    days = draw(st.integers(60, 160))
    returns = synthetic_returns(count, days, seed=draw(st.integers(0, 10_000)))
    strategy_ids = ids(count)
    method = draw(st.sampled_from(list(Method)))
    cap = draw(st.sampled_from([0.3, 0.5, 0.8]))
    low = draw(st.sampled_from([0.0, 0.5, 1.0])) if method is Method.MAX_RETURN else 1.0
    floors = {
        strategy_ids[0]: draw(st.sampled_from([0.0, 0.05, 0.1])),
    }
    limit = None
    if method is Method.MAX_RETURN:
        limit = draw(st.floats(0.005, 0.05))
    elif method is Method.MAX_SHARPE:
        limit = draw(st.one_of(st.none(), st.floats(0.01, 0.05)))
    turnover = draw(st.one_of(st.none(), st.floats(0.2, 3.0)))
    current = {i: draw(st.sampled_from([0.0, 0.2, 0.5])) for i in strategy_ids}
    chosen = OptimizerSettings(
        method=method,
        cvar_limit=limit,
        max_weight=cap,
        min_weights=floors,
        min_total_allocation=low,
        sharpe_total_allocation=draw(st.sampled_from([1.0, 1.5])),
        turnover_limit=turnover,
        cvar_confidence=draw(st.sampled_from([0.9, 0.95, 0.975])),
        min_observations=30,
    )
    return strategy_ids, returns, chosen, current


@settings(max_examples=60, deadline=None)
@given(problems())
def test_weights_respect_every_bound(
    problem: tuple[list[str], np.ndarray, OptimizerSettings, dict[str, float]],
) -> None:
    strategy_ids, returns, chosen, current = problem
    try:
        result = optimize(strategy_ids, returns, chosen, current)
    except OptimizerError as error:
        assert error.code
        assert error.message
        return

    weights = np.array([result.weights[i] for i in strategy_ids])
    assert (weights >= 0).all()
    assert not ((weights > 0) & (weights < NOISE_WEIGHT)).any()
    assert (weights <= chosen.max_weight + TOLERANCE).all()
    assert weights[0] >= chosen.min_weights[strategy_ids[0]] - TOLERANCE
    if chosen.method is Method.MAX_SHARPE:
        assert abs(weights.sum() - chosen.sharpe_total_allocation) < 1e-7
    else:
        assert chosen.min_total_allocation - TOLERANCE <= weights.sum()
        assert weights.sum() <= chosen.max_total_allocation + TOLERANCE
    if chosen.cvar_limit is not None:
        assert result.metrics.cvar <= chosen.cvar_limit * (1 + 1e-9)
    if chosen.turnover_limit is not None:
        moved = sum(abs(result.weights[i] - current[i]) for i in strategy_ids)
        assert moved <= chosen.turnover_limit + 1e-8
    realised = historical_cvar(-(returns @ weights), chosen.cvar_confidence)
    assert abs(realised - result.metrics.cvar) < 1e-12


@settings(max_examples=25, deadline=None)
@given(
    count=st.integers(2, 6),
    days=st.integers(60, 150),
    seed=st.integers(0, 10_000),
    points=st.integers(2, 12),
    cap=st.sampled_from([0.5, 0.8]),
)
def test_frontier_returns_and_cvars_never_decrease(
    count: int, days: int, seed: int, points: int, cap: float
) -> None:
    chosen = OptimizerSettings(
        method=Method.MIN_CVAR, frontier_points=points, max_weight=cap, min_observations=30
    )
    with contextlib.suppress(OptimizerError):
        frontier = efficient_frontier(ids(count), synthetic_returns(count, days, seed), chosen)
        returns = [point.metrics.expected_return_daily for point in frontier.points]
        cvars = [point.metrics.cvar for point in frontier.points]
        assert len(frontier.points) == points
        assert all(b >= a - 1e-12 for a, b in itertools.pairwise(returns))
        assert all(b >= a - 1e-10 for a, b in itertools.pairwise(cvars))
        assert all(point.metrics.cvar <= point.cvar_limit + 1e-9 for point in frontier.points[1:])
