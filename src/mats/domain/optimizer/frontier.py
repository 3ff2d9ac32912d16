"""The efficient frontier of mean daily return against daily CVaR, from one warm HiGHS model.

Every point is solved on one :class:`.tail.TailModel`, the Rockafellar-Uryasev LP holding only
the days it needs (about a quarter of them on the research data): the full LP's optimum from a
much smaller model. It minimises CVaR first, maximises return with the CVaR row free, then walks
the limit down the grid. Each tighter limit, and each day the walk adds or forgets, leaves the
last basis dual feasible, so HiGHS' dual simplex restarts from it and needs a few pivots. The
LP's optimal value is non-decreasing in the limit, so returns are monotone by construction; the
realised CVaR of each point is re-scored exactly. A portfolio that already meets the next,
tighter limit is optimal there too (optimal for a relaxation, and feasible), so that point needs
no solve.

The first point is the minimum-CVaR portfolio itself: re-solving for maximum return at that limit
is the walk's most degenerate step and gives the same portfolio whenever it is unique.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from mats.domain.optimizer.cvar import historical_cvar
from mats.domain.optimizer.errors import OptimizerError, OptimizerErrorCode
from mats.domain.optimizer.highs import FloatArray, SolveStatus
from mats.domain.optimizer.metrics import portfolio_metrics_batch
from mats.domain.optimizer.optimize import clean_weights
from mats.domain.optimizer.problem import Problem, build_problem
from mats.domain.optimizer.result import Frontier, FrontierPoint
from mats.domain.optimizer.settings import OptimizerSettings
from mats.domain.optimizer.tail import TailModel


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
    model = TailModel(problem)
    lowest = model.minimise_cvar(np.full(problem.strategy_count, 1.0 / problem.strategy_count))
    if lowest.status != SolveStatus.OPTIMAL:
        raise OptimizerError(
            OptimizerErrorCode.INFEASIBLE_CONSTRAINTS,
            "no allocation satisfies the caps, floors, total allocation range and turnover limit",
        )
    minimum = lowest.objective
    top = model.maximise_return(None).weights
    # Exact, on the weights the frontier reports: it fixes the grid's upper end.
    top_cvar = _cvar(problem, clean_weights(problem, top))
    limits = np.linspace(minimum, max(top_cvar, minimum), settings.frontier_points)
    # The first limits' tails are near the top portfolio's: holding its worst days up front saves
    # the walk's first step a solve that would only find them missing.
    model.watch(top)
    walked = _walk_down(model, limits[-2:0:-1], top, top_cvar)
    # One pass snaps every point's solver rounding onto the bounds (points x strategies).
    solved = clean_weights(problem, np.stack([lowest.weights, *reversed(walked), top]))
    scores = portfolio_metrics_batch(problem.returns, solved.T, settings.cvar_confidence)
    points = tuple(
        FrontierPoint(
            cvar_limit=limit,
            weights=dict(zip(problem.strategy_ids, weights.tolist(), strict=True)),
            metrics=metrics,
        )
        for limit, weights, metrics in zip(limits.tolist(), solved, scores, strict=True)
    )
    return Frontier(
        strategy_ids=problem.strategy_ids,
        points=points,
        min_cvar=minimum,
        max_return_cvar=top_cvar,
        solves=model.runs,
        iterations=model.iterations,
        seconds=time.perf_counter() - started,
    )


def _cvar(problem: Problem, weights: FloatArray) -> float:
    return historical_cvar(-(problem.returns @ weights), problem.settings.cvar_confidence)


def _walk_down(
    model: TailModel, limits: FloatArray, weights: FloatArray, cvar_bound: float
) -> list[FloatArray]:
    """Return the max-return weights at each limit, walking down from ``weights``.

    ``cvar_bound`` is at least the CVaR of ``weights``; while it meets the next limit, those
    weights are optimal there too and the point needs no solve.
    """
    solved = []
    for limit in limits.tolist():
        if cvar_bound > limit:
            answer = model.maximise_return(limit)
            if answer.status != SolveStatus.OPTIMAL:
                raise OptimizerError(
                    OptimizerErrorCode.SOLVER_FAILED,
                    f"the frontier point at CVaR {limit:.4%} came back {answer.status}",
                )
            weights, cvar_bound = answer.weights, answer.cvar_row
        solved.append(weights)
    return solved
