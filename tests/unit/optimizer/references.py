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
) -> tuple[float, FloatArray]:
    """Solve the Rockafellar-Uryasev LP with dense matrices; return (objective, weights)."""
    days, count = returns.shape
    k = 1.0 / ((1.0 - confidence) * days)
    # x = [w, a, u]; rows written as A_ub x <= b_ub.
    scenario = np.hstack([-returns, -np.ones((days, 1)), -np.eye(days)])
    totals = np.vstack(
        [
            np.concatenate([np.ones(count), np.zeros(1 + days)]),
            np.concatenate([-np.ones(count), np.zeros(1 + days)]),
        ]
    )
    a_ub = np.vstack([scenario, totals])
    b_ub = np.concatenate([np.zeros(days), [total[1], -total[0]]])
    cvar_row = np.concatenate([np.zeros(count), [1.0], np.full(days, k)])
    if cvar_limit is not None:
        a_ub = np.vstack([a_ub, cvar_row])
        b_ub = np.append(b_ub, cvar_limit)
    cost = np.concatenate([-returns.mean(axis=0), np.zeros(1 + days)])
    if not maximise_return:
        cost = cvar_row
    bounds = [(0.0, cap)] * count + [(None, None)] + [(0.0, None)] * days
    result = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
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
