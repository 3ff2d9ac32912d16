"""The efficient frontier of mean daily return against daily CVaR, from one warm HiGHS model.

The minimum CVaR comes from the dual LP. One primal model then solves the max-return end with the
CVaR row free, and walks the limit down the grid: each tighter limit leaves the last basis dual
feasible, so HiGHS' dual simplex restarts from it and needs tens of pivots instead of the
hundreds a cold solve takes. The LP's optimal value is non-decreasing in the limit, so returns are
monotone by construction; the realised CVaR of each point is re-scored exactly.

The first point is the dual's minimum-CVaR portfolio itself: re-solving the primal at that limit
is the most degenerate step of the walk (350 pivots, 0.2 s at N=200, T=2520) and gives the
same portfolio whenever the minimum-CVaR portfolio is unique.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from mats.domain.optimizer.cvar import historical_cvar, layout_of, primal_program, return_cost
from mats.domain.optimizer.dual import solve_min_cvar_dual
from mats.domain.optimizer.errors import OptimizerError, OptimizerErrorCode
from mats.domain.optimizer.highs import INFINITY, FloatArray, HighsModel, SolveStatus
from mats.domain.optimizer.metrics import portfolio_metrics
from mats.domain.optimizer.optimize import clean_weights
from mats.domain.optimizer.problem import Problem, build_problem
from mats.domain.optimizer.result import Frontier, FrontierPoint
from mats.domain.optimizer.settings import OptimizerSettings


def efficient_frontier(
    strategy_ids: Sequence[str],
    returns: npt.ArrayLike,
    settings: OptimizerSettings,
    current_weights: Mapping[str, float] | None = None,
) -> Frontier:
    """Return ``settings.frontier_points`` max-return portfolios from min CVaR to max return.

    The bounds (caps, floors, total range, turnover) come from ``settings``; ``method`` and
    ``cvar_limit`` are not used, because the frontier sweeps the limit itself.
    """
    started = time.perf_counter()
    problem = build_problem(strategy_ids, returns, settings, current_weights)
    lowest = solve_min_cvar_dual(problem)
    if lowest.solution.status != SolveStatus.OPTIMAL:
        raise OptimizerError(
            OptimizerErrorCode.INFEASIBLE_CONSTRAINTS,
            "no allocation satisfies the caps, floors, total allocation range and turnover limit",
        )
    minimum = lowest.cvar
    model = HighsModel(primal_program(problem, return_cost(problem), None))
    top = model.solve()
    top_weights = clean_weights(problem, top.x[: problem.strategy_count])
    top_cvar = _cvar(problem, top_weights)
    limits = np.linspace(minimum, max(top_cvar, minimum), settings.frontier_points)
    row = layout_of(problem).cvar_row
    solved = [top_weights]
    iterations = lowest.solution.iterations + top.iterations
    for limit in limits[-2:0:-1]:
        model.set_row_bounds(row, -INFINITY, float(limit))
        solution = model.solve()
        if solution.status != SolveStatus.OPTIMAL:
            raise OptimizerError(
                OptimizerErrorCode.SOLVER_FAILED,
                f"the frontier point at CVaR {limit:.4%} came back {solution.status}",
            )
        iterations += solution.iterations
        solved.append(clean_weights(problem, solution.x[: problem.strategy_count]))
    solved.append(clean_weights(problem, lowest.weights))
    points = tuple(
        _point(problem, float(limit), weights)
        for limit, weights in zip(limits, reversed(solved), strict=True)
    )
    return Frontier(
        strategy_ids=problem.strategy_ids,
        points=points,
        min_cvar=minimum,
        max_return_cvar=top_cvar,
        solves=len(solved),
        iterations=iterations,
        seconds=time.perf_counter() - started,
    )


def _cvar(problem: Problem, weights: FloatArray) -> float:
    return historical_cvar(-(problem.returns @ weights), problem.settings.cvar_confidence)


def _point(problem: Problem, limit: float, weights: FloatArray) -> FrontierPoint:
    return FrontierPoint(
        cvar_limit=limit,
        weights={i: float(w) for i, w in zip(problem.strategy_ids, weights, strict=True)},
        metrics=portfolio_metrics(problem.returns, weights, problem.settings.cvar_confidence),
    )
