"""The frontier runs from the minimum-CVaR portfolio to the unconstrained max-return one."""

import itertools

import numpy as np
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
    assert frontier.solves >= 2
    assert frontier.iterations > 0


def test_every_point_matches_the_dense_lp_at_its_limit() -> None:
    frontier = efficient_frontier(IDS, RETURNS, SETTINGS)

    for point in frontier.points[1:]:
        cold, _ = linprog_cvar(RETURNS, cvar_limit=point.cvar_limit, maximise_return=True)
        assert point.metrics.expected_return_daily == pytest.approx(cold, rel=1e-9)
        assert point.metrics.cvar <= point.cvar_limit + 1e-12


def test_frontier_with_floors_and_turnover_matches_the_dense_lp() -> None:
    current = {IDS[0]: 0.5, IDS[1]: 0.5}
    floors = {IDS[4]: 0.1}
    bounded = OptimizerSettings(
        method=Method.MIN_CVAR, min_weights=floors, turnover_limit=0.8, frontier_points=8
    )
    lows = np.array([floors.get(i, 0.0) for i in IDS])
    turnover = (np.array([current.get(i, 0.0) for i in IDS]), 0.8)

    frontier = efficient_frontier(IDS, RETURNS, bounded, current)

    minimum, _ = linprog_cvar(RETURNS, floors=lows, turnover=turnover)
    assert frontier.min_cvar == pytest.approx(minimum, rel=1e-9)
    for point in frontier.points[1:]:
        cold, _ = linprog_cvar(
            RETURNS,
            cvar_limit=point.cvar_limit,
            maximise_return=True,
            floors=lows,
            turnover=turnover,
        )
        assert point.metrics.expected_return_daily == pytest.approx(cold, rel=1e-9)
        weights = np.array([point.weights[i] for i in IDS])
        assert np.abs(weights - turnover[0]).sum() <= 0.8 + 1e-9
        assert weights[4] >= 0.1 - 1e-12


def test_points_whose_limit_the_last_portfolio_already_meets_need_no_solve() -> None:
    # Caps of 50% on two strategies fully invested leave one portfolio: the frontier is a point.
    chosen = OptimizerSettings(method=Method.MIN_CVAR, max_total_allocation=1.0)

    frontier = efficient_frontier(IDS[:2], RETURNS[:, :2], chosen)

    assert {tuple(point.weights.values()) for point in frontier.points} == {(0.5, 0.5)}
    assert frontier.solves <= 3
