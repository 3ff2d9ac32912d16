"""The frontier runs from the minimum-CVaR portfolio to the unconstrained max-return one."""

import itertools

import pytest

from mats.domain.optimizer import Method, OptimizerSettings, efficient_frontier, optimize
from tests.unit.optimizer.builders import ids, settings, synthetic_returns
from tests.unit.optimizer.references import linprog_cvar

RETURNS = synthetic_returns(8, 300)
IDS = ids(8)
SETTINGS = OptimizerSettings(method=Method.MIN_CVAR)


def test_frontier_ends_at_min_cvar_and_at_max_return() -> None:
    frontier = efficient_frontier(IDS, RETURNS, SETTINGS)
    minimum = optimize(IDS, RETURNS, SETTINGS)

    first, last = frontier.points[0], frontier.points[-1]
    assert len(frontier.points) == 25
    assert first.metrics.cvar == pytest.approx(minimum.metrics.cvar, rel=1e-9)
    assert frontier.min_cvar == pytest.approx(minimum.metrics.cvar, rel=1e-9)
    best = sorted(RETURNS.mean(axis=0), reverse=True)
    assert last.metrics.expected_return_daily == pytest.approx(0.5 * sum(best[:4]), rel=1e-9)
    assert last.metrics.cvar == pytest.approx(frontier.max_return_cvar)


def test_every_interior_point_matches_a_cold_solve_at_its_limit() -> None:
    frontier = efficient_frontier(IDS, RETURNS, SETTINGS)

    for point in frontier.points[1:-1:5]:
        cold, _ = linprog_cvar(RETURNS, cvar_limit=point.cvar_limit, maximise_return=True)
        assert point.metrics.expected_return_daily == pytest.approx(cold, rel=1e-9)
        warm = optimize(IDS, RETURNS, settings(cvar_limit=point.cvar_limit))
        assert point.metrics.expected_return_daily == pytest.approx(
            warm.metrics.expected_return_daily, rel=1e-9
        )


def test_frontier_limits_are_evenly_spaced() -> None:
    frontier = efficient_frontier(
        IDS, RETURNS, OptimizerSettings(method=Method.MIN_CVAR, frontier_points=5)
    )

    limits = [point.cvar_limit for point in frontier.points]
    steps = [b - a for a, b in itertools.pairwise(limits)]
    assert steps == pytest.approx([steps[0]] * 4)
    assert frontier.solves == 5
