"""Allocate capital across strategies from their daily backtest returns.

Formulations (LPs solved by HiGHS' simplex, the QP by Clarabel; see the research note):

- ``max_return``: the primal Rockafellar-Uryasev LP (:mod:`.cvar`) with the CVaR row bounded.
- ``min_cvar``: the dual of the same LP (:mod:`.dual`), N-sized basis instead of T-sized.
- ``max_sharpe``: the homogenised QP (:mod:`.sharpe`) on rescaled mean and covariance, over the
  strategies whose reduced costs ask for them and, under a CVaR limit, RU rows on the days its
  tails reach.

Infeasible or degenerate inputs raise :class:`OptimizerError` with a specific code; nothing falls
back to another method or relaxes a bound silently.

Weights below ``NOISE_WEIGHT`` are solver noise and come back as exactly 0 (:mod:`.snap`), and
every figure of the result (metrics, attribution, the solver's objective) is scored on the weights
returned.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from mats.domain.optimizer.covariance import (
    CovarianceEstimate,
    covariance_estimates,
    require_invertible,
)
from mats.domain.optimizer.cvar import (
    historical_cvar,
    primal_program,
    return_cost,
    return_scale,
)
from mats.domain.optimizer.dual import solve_min_cvar_dual
from mats.domain.optimizer.errors import OptimizerError, OptimizerErrorCode
from mats.domain.optimizer.highs import (
    LIMIT_TOLERANCE,
    FloatArray,
    HighsModel,
    Solution,
    SolveStatus,
)
from mats.domain.optimizer.metrics import (
    correlation_matrix,
    metrics_of_daily_returns,
    risk_contributions,
)
from mats.domain.optimizer.problem import Problem, build_problem
from mats.domain.optimizer.result import OptimizationResult, SolverReport
from mats.domain.optimizer.settings import (
    NOISE_WEIGHT,
    CovarianceEstimator,
    Method,
    OptimizerSettings,
)
from mats.domain.optimizer.sharpe import SharpeAnswer, qp_objective, solve_max_sharpe
from mats.domain.optimizer.snap import snap_noise

# Simplex vertices can sit 1e-13 outside a bound; anything this small is rounding, not a trade.
WEIGHT_TOLERANCE = 1e-10
# Max-Sharpe holds a CVaR limit 1e-8 inside (sharpe.LIMIT_MARGIN); a limit less than this above
# the minimum CVaR leaves an interior point (almost) one portfolio to settle on, which it cannot.
SHARPE_LIMIT_ROOM = 1e-6


def optimize(
    strategy_ids: Sequence[str],
    returns: npt.ArrayLike,
    settings: OptimizerSettings,
    current_weights: Mapping[str, float] | None = None,
) -> OptimizationResult:
    """Return the allocation ``settings.method`` asks for over the eligible strategies.

    ``returns`` holds daily simple returns, one row per day and one column per strategy in the
    order of ``strategy_ids``. ``current_weights`` (strategy id -> weight) is only used by the
    turnover limit; strategies absent from it hold 0.
    """
    problem = build_problem(strategy_ids, returns, settings, current_weights)
    # Only max-Sharpe optimises on the chosen estimator; the result's metrics use the sample one.
    sharpe = settings.method is Method.MAX_SHARPE
    estimator = settings.covariance if sharpe else CovarianceEstimator.SAMPLE
    sample, estimate = covariance_estimates(problem.returns, estimator, problem.mean)
    if settings.method is not Method.MIN_CVAR:
        _require_positive_mean(problem)
    if sharpe:
        require_invertible(estimate, problem.strategy_ids)
    weights, report = _solve(problem, estimate)
    weights, report = _without_noise(problem, weights, report, estimate)
    report = dataclasses.replace(report, objective=_objective(problem, weights, estimate))
    return _result(problem, weights, report, sample, estimate)


def clean_weights(problem: Problem, weights: FloatArray) -> FloatArray:
    """Snap solver rounding onto the bounds; larger violations are a solver failure."""
    violation = np.maximum(problem.lower - weights, weights - problem.upper).max()
    if violation > 1e-7:
        raise OptimizerError(
            OptimizerErrorCode.SOLVER_FAILED,
            f"the solver returned weights {violation:.2e} outside their bounds",
        )
    snapped = np.clip(weights, problem.lower, problem.upper)
    snapped[np.abs(snapped) < WEIGHT_TOLERANCE] = 0.0
    return snapped


def _solve(problem: Problem, estimate: CovarianceEstimate) -> tuple[FloatArray, SolverReport]:
    if problem.settings.method is Method.MAX_SHARPE:
        return _max_sharpe(problem, estimate)
    if problem.settings.method is Method.MIN_CVAR:
        return _min_cvar(problem)
    return _max_return(problem)


def _without_noise(
    problem: Problem, weights: FloatArray, report: SolverReport, estimate: CovarianceEstimate
) -> tuple[FloatArray, SolverReport]:
    """Snap noise to 0 (:mod:`.snap`); where that would break a bound, solve again without it.

    Each new solve holds every strategy the last answer left below NOISE_WEIGHT at 0, so the
    strategies held shrink every round and the loop ends.
    """
    held = problem
    while (snapped := snap_noise(held, weights)) is None:
        held = dataclasses.replace(held, upper=np.where(weights < NOISE_WEIGHT, 0.0, held.upper))
        left_out = int((held.upper == 0).sum())
        try:
            weights, again = _solve(held, estimate)
        except OptimizerError as error:
            raise OptimizerError(
                error.code,
                f"{error.message} (with the {left_out} strategies the solver left below "
                f"{NOISE_WEIGHT:g}, solver noise, held at 0)",
                error.details,
            ) from error
        report = SolverReport(
            status=again.status,
            formulation=f"{again.formulation}; solved again holding at 0 the {left_out} "
            f"strategies left below {NOISE_WEIGHT:g}",
            objective=again.objective,
            iterations=report.iterations + again.iterations,
            seconds=report.seconds + again.seconds,
        )
    return snapped, report


def _objective(problem: Problem, weights: FloatArray, estimate: CovarianceEstimate) -> float:
    """The method's objective at the weights returned, in the solver's units (it reports them)."""
    if problem.settings.method is Method.MAX_SHARPE:
        return qp_objective(problem, estimate.matrix, weights)
    if problem.settings.method is Method.MIN_CVAR:
        return historical_cvar(-(problem.returns @ weights), problem.settings.cvar_confidence)
    return float(problem.mean @ weights)


def _require_positive_mean(problem: Problem) -> None:
    best = float(problem.mean.max())
    if best <= 0:
        raise OptimizerError(
            OptimizerErrorCode.NO_POSITIVE_MEAN,
            f"no strategy has a positive mean daily return (best {best:.3e}); "
            f"{problem.settings.method} would only choose the smallest loss. Use min_cvar, "
            "or review the backtests",
            {"best_mean_return": best},
        )


def _max_return(problem: Problem) -> tuple[FloatArray, SolverReport]:
    limit = problem.settings.cvar_limit
    model = HighsModel(primal_program(problem, return_cost(problem), limit))
    model.set_option("primal_feasibility_tolerance", LIMIT_TOLERANCE)
    solution = model.solve()
    if solution.status != SolveStatus.OPTIMAL:
        _explain_infeasible(problem, limit)
    weights = clean_weights(problem, solution.x[: problem.strategy_count])
    objective = -solution.objective * return_scale(problem)
    return weights, _report(solution, "primal Rockafellar-Uryasev LP", objective)


def _min_cvar(problem: Problem) -> tuple[FloatArray, SolverReport]:
    answer = solve_min_cvar_dual(problem)
    if answer.solution.status != SolveStatus.OPTIMAL:
        _explain_infeasible(problem, None)
    weights = clean_weights(problem, answer.weights)
    return weights, _report(answer.solution, "dual Rockafellar-Uryasev LP", answer.cvar)


def _max_sharpe(problem: Problem, estimate: CovarianceEstimate) -> tuple[FloatArray, SolverReport]:
    limit = problem.settings.cvar_limit
    total = problem.settings.sharpe_total_allocation
    # The bounds max-Sharpe works in: the total fixed at sharpe_total_allocation.
    at_total = dataclasses.replace(
        problem,
        settings=dataclasses.replace(
            problem.settings,
            method=Method.MIN_CVAR,
            cvar_limit=None,
            min_total_allocation=total,
            max_total_allocation=total,
        ),
    )
    try:
        answer = solve_max_sharpe(problem, estimate.matrix)
    except OptimizerError as error:
        if error.code is OptimizerErrorCode.SOLVER_FAILED and limit is not None:
            # An interior point cannot settle on a feasible set that is (almost) one portfolio.
            _explain_infeasible(at_total, limit, "sharpe_total_allocation", SHARPE_LIMIT_ROOM)
        raise
    if not answer.feasible:
        _explain_infeasible(at_total, limit, "sharpe_total_allocation", SHARPE_LIMIT_ROOM)
        within = "the bounds" if limit is None else f"the bounds and the CVaR limit {limit:.2%}"
        raise OptimizerError(
            OptimizerErrorCode.INFEASIBLE_CONSTRAINTS,
            f"no portfolio at total allocation {total:.0%} within {within} has a positive "
            "expected return, so the Sharpe ratio cannot be maximised",
        )
    weights = clean_weights(problem, answer.weights)
    report = SolverReport(
        status=SolveStatus.OPTIMAL,
        formulation=_sharpe_formulation(answer, problem),
        objective=answer.objective,
        iterations=answer.iterations,
        seconds=answer.seconds,
    )
    return weights, report


def _sharpe_formulation(answer: SharpeAnswer, problem: Problem) -> str:
    held = f"Charnes-Cooper QP over {answer.strategies_held} of {problem.strategy_count} strategies"
    if answer.days_held:
        held += f" with RU rows on {answer.days_held} of {problem.observation_count} days"
    return f"{held} ({answer.rounds} solves)"


def _explain_infeasible(
    problem: Problem,
    limit: float | None,
    total_setting: str = "min_total_allocation",
    room: float = 0.0,
) -> None:
    """Raise why no allocation fits: a CVaR limit below the reachable minimum, or the bounds.

    ``total_setting`` names the setting that fixes the lowest total allocation, for the advice.
    A limit less than ``room`` (relative) above the minimum counts as at it: only the
    minimum-CVaR portfolios meet it.
    """
    answer = solve_min_cvar_dual(problem)
    if answer.solution.status == SolveStatus.OPTIMAL:
        minimum = historical_cvar(
            -(problem.returns @ clean_weights(problem, answer.weights)),
            problem.settings.cvar_confidence,
        )
        if limit is None or minimum <= limit * (1 - room):
            return
        lowest = (
            f"the lowest CVaR any allowed portfolio reaches, {minimum:.4%} (daily, "
            f"{problem.settings.cvar_confidence:.0%})"
        )
        if minimum > limit:
            message = f"the CVaR limit {limit:.4%} is below {lowest}; raise the limit or lower "
        else:
            message = (
                f"the CVaR limit {limit:.4%} is within a millionth of {lowest}: only the "
                "minimum-CVaR portfolio meets it, so there is nothing to choose between; raise "
                "the limit, use min_cvar, or lower "
            )
        raise OptimizerError(
            OptimizerErrorCode.CVAR_LIMIT_TOO_LOW,
            message + total_setting,
            {"cvar_limit": limit, "minimum_cvar": minimum},
        )
    raise OptimizerError(
        OptimizerErrorCode.INFEASIBLE_CONSTRAINTS,
        "no allocation satisfies the caps, floors, total allocation range and turnover limit "
        "together; loosen the turnover limit or the floors",
        {"turnover_budget": problem.turnover_budget or 0.0},
    )


def _report(solution: Solution, formulation: str, objective: float) -> SolverReport:
    return SolverReport(
        status=solution.status,
        formulation=formulation,
        objective=objective,
        iterations=solution.iterations,
        seconds=solution.seconds,
    )


def _result(
    problem: Problem,
    weights: FloatArray,
    report: SolverReport,
    sample: CovarianceEstimate,
    estimate: CovarianceEstimate,
) -> OptimizationResult:
    ids = problem.strategy_ids
    confidence = problem.settings.cvar_confidence
    daily = problem.returns @ weights
    contributions = risk_contributions(problem.returns, sample.matrix, weights, confidence, daily)
    correlation = correlation_matrix(sample.matrix)
    (metrics,) = metrics_of_daily_returns(
        daily[:, np.newaxis], np.array([weights.sum()]), confidence
    )
    return OptimizationResult(
        method=problem.settings.method,
        strategy_ids=ids,
        weights=dict(zip(ids, weights.tolist(), strict=True)),
        metrics=metrics,
        correlation=tuple(map(tuple, correlation.tolist())),
        risk_contributions=dict(zip(ids, contributions, strict=True)),
        covariance=estimate.estimator,
        shrinkage=estimate.shrinkage,
        solver=report,
        settings=problem.settings,
    )
