"""Independent formulations to check the optimiser against: scipy linprog and SLSQP."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.optimize import linprog, minimize

FloatArray = npt.NDArray[np.float64]


def linprog_cvar(
    returns: FloatArray,
    *,
    confidence: float = 0.95,
    cap: float = 0.5,
    total: tuple[float, float] = (1.0, 2.0),
    cvar_limit: float | None = None,
    maximise_return: bool = False,
    floors: FloatArray | None = None,
    turnover: tuple[FloatArray, float] | None = None,
) -> tuple[float, FloatArray]:
    """Solve the Rockafellar-Uryasev LP with dense matrices; return (objective, weights).

    ``turnover`` is ``(current weights, budget)``: ``sum |w - current| <= budget``.
    """
    days, count = returns.shape
    k = 1.0 / ((1.0 - confidence) * days)
    # x = [w, a, u, d]; rows written as A_ub x <= b_ub. d (N) only matters with a turnover limit.
    width = count + 1 + days + count
    scenario = np.hstack([-returns, -np.ones((days, 1)), -np.eye(days), np.zeros((days, count))])
    ones = np.concatenate([np.ones(count), np.zeros(width - count)])
    a_ub = np.vstack([scenario, ones, -ones])
    b_ub = np.concatenate([np.zeros(days), [total[1], -total[0]]])
    cvar_row = np.concatenate([np.zeros(count), [1.0], np.full(days, k), np.zeros(count)])
    if cvar_limit is not None:
        a_ub = np.vstack([a_ub, cvar_row])
        b_ub = np.append(b_ub, cvar_limit)
    deviation_bounds = [(0.0, 0.0)] * count
    if turnover is not None:
        current, budget = turnover
        identity, blank = np.eye(count), np.zeros((count, 1 + days))
        above = np.hstack([identity, blank, -identity])  # w - d <= current
        below = np.hstack([-identity, blank, -identity])  # -w - d <= -current
        spent = np.concatenate([np.zeros(count + 1 + days), np.ones(count)])
        a_ub = np.vstack([a_ub, above, below, spent])
        b_ub = np.concatenate([b_ub, current, -current, [budget]])
        deviation_bounds = [(0.0, None)] * count
    cost = np.concatenate([-returns.mean(axis=0), np.zeros(width - count)])
    if not maximise_return:
        cost = cvar_row
    lows = np.zeros(count) if floors is None else floors
    bounds = (
        [(float(low), cap) for low in lows]
        + [(None, None)]
        + [(0.0, None)] * days
        + deviation_bounds
    )
    # HiGHS' default 1e-7 feasibility tolerance can leave the CVaR row 1e-8 over its limit.
    options = {"primal_feasibility_tolerance": 1e-10}
    result = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs", options=options)
    assert result.status == 0, result.message
    objective = -result.fun if maximise_return else result.fun
    return float(objective), np.asarray(result.x[:count])


def slsqp_sharpe(returns: FloatArray, cap: float = 0.5, total: float = 1.0) -> float:
    """Maximise the annualised Sharpe ratio with SLSQP from several starts; return the best."""
    mean = returns.mean(axis=0)
    covariance = np.cov(returns, rowvar=False)
    count = len(mean)

    def negative_sharpe(weights: FloatArray) -> float:
        return float(-(mean @ weights) / np.sqrt(weights @ covariance @ weights))

    best = -np.inf
    for start in (np.full(count, total / count), np.clip(mean / mean.sum() * total, 0, cap)):
        result = minimize(
            negative_sharpe,
            start,
            method="SLSQP",
            bounds=[(0.0, cap)] * count,
            constraints=[{"type": "eq", "fun": lambda w: w.sum() - total}],
            options={"ftol": 1e-15, "maxiter": 1000},
        )
        best = max(best, -result.fun)
    return float(best * np.sqrt(252))
