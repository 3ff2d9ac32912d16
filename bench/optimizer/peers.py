"""The contenders: MATS, its raw solvers (HiGHS, Clarabel) and the peers on their default solvers.

Each adapter takes the returns matrix (days x strategies) and a problem and returns weights. The
timed region covers the whole user call, estimation included, as in the research. Peers that
cannot express a problem return ``None`` from ``supports``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import clarabel
import highspy
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from mats.domain.optimizer import Method, OptimizerSettings, optimize

FloatArray = npt.NDArray[np.float64]
CAP = 0.5
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Problem:
    """``kind``: min_cvar | max_return | max_sharpe; ``max_total``: 1 means sum(w) == 1."""

    name: str
    kind: str
    max_total: float
    cvar_limit: float | None = None


NOT_EXPRESSIBLE = {
    ("pypfopt", 2.0): "sum(w)==1 is hard-coded (or ==0 market-neutral)",
    ("riskfolio", 2.0): "budget is an equality; long-only weights are re-normalised to it",
}


def mats(returns: FloatArray, problem: Problem) -> FloatArray:
    ids = [f"s{i}" for i in range(returns.shape[1])]
    leveraged = problem.max_total > 1
    method = {
        "min_cvar": Method.MIN_CVAR,
        "max_return": Method.MAX_RETURN,
        "max_sharpe": Method.MAX_SHARPE,
    }[problem.kind]
    settings = OptimizerSettings(
        method=method,
        cvar_limit=problem.cvar_limit,
        max_weight=CAP,
        max_total_allocation=problem.max_total,
        min_total_allocation=0.0 if leveraged and method is Method.MAX_RETURN else 1.0,
    )
    result = optimize(ids, returns, settings)
    return np.array([result.weights[i] for i in ids])


def raw_solver(returns: FloatArray, problem: Problem) -> FloatArray:
    """MATS' solver with its defaults on the textbook model: HiGHS for LPs, Clarabel for the QP."""
    if problem.kind == "max_sharpe":
        return _clarabel_sharpe(returns, problem.cvar_limit)
    days, count = returns.shape
    k = 1.0 / ((1.0 - CONFIDENCE) * days)
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    width = count + 2
    indices = np.empty((days, width), dtype=np.int32)
    indices[:, :count] = np.arange(count)
    indices[:, count] = count
    indices[:, count + 1] = count + 1 + np.arange(days)
    values = np.ones((days, width))
    values[:, :count] = returns
    cvar_columns = np.arange(count, count + 1 + days, dtype=np.int32)
    cvar_values = np.concatenate([[1.0], np.full(days, k)])
    start = np.concatenate([np.arange(0, days * width + 1, width), [days * width + count]])
    a_index = np.concatenate([indices.ravel(), np.arange(count, dtype=np.int32), cvar_columns])
    a_value = np.concatenate([values.ravel(), np.ones(count), cvar_values])
    low_total = 0.0 if problem.max_total > 1 else 1.0
    row_lower = np.concatenate([np.zeros(days), [low_total, -inf]])
    limit = problem.cvar_limit if problem.kind == "max_return" else None
    row_upper = np.concatenate([np.full(days, inf), [problem.max_total, limit or inf]])
    cost = np.zeros(count + 1 + days)
    if problem.kind == "min_cvar":
        cost[count:] = cvar_values
    else:
        cost[:count] = -returns.mean(axis=0)
    col_lower = np.concatenate([np.zeros(count), [-inf], np.zeros(days)])
    col_upper = np.concatenate([np.full(count, CAP), [inf], np.full(days, inf)])
    highs.passModel(
        len(cost),
        days + 2,
        len(a_value),
        int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        cost,
        col_lower,
        col_upper,
        row_lower,
        row_upper,
        start.astype(np.int32),
        a_index,
        a_value,
        np.zeros(len(cost), dtype=np.int32),
    )
    highs.run()
    return np.array(highs.getSolution().col_value[:count])


def _scaled_moments(returns: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Mean and covariance rescaled to O(1), as MATS does; the Sharpe optimum is unchanged."""
    mean = returns.mean(axis=0)
    covariance = np.cov(returns, rowvar=False)
    return mean / np.abs(mean).max(), covariance / np.mean(np.diag(covariance))


def _clarabel_sharpe(returns: FloatArray, limit: float | None) -> FloatArray:
    """Clarabel (MATS' QP solver) with its defaults on the textbook homogenised QP.

    x = [y, kappa, alpha, u (T)]: mean'y = 1, 1'y = kappa, 0 <= y <= cap kappa, kappa >= 0 and,
    with a limit, the whole homogenised Rockafellar-Uryasev block.
    """
    days, count = returns.shape
    mean, covariance = _scaled_moments(returns)
    extra = 0 if limit is None else 1 + days
    columns = count + 1 + extra
    hessian = sparse.block_diag(
        [sparse.csc_matrix(np.triu(2.0 * covariance)), sparse.csc_matrix((1 + extra, 1 + extra))],
        "csc",
    )
    identity = sparse.identity(count)
    pad = sparse.csr_matrix((count, extra))
    blocks = [
        sparse.csr_matrix(np.append(mean, np.zeros(1 + extra))),
        sparse.csr_matrix(np.concatenate([np.ones(count), [-1.0], np.zeros(extra)])),
        sparse.hstack([identity, np.full((count, 1), -CAP), pad]),
        sparse.hstack([-identity, np.zeros((count, 1)), pad]),
        sparse.csr_matrix(np.concatenate([np.zeros(count), [-1.0], np.zeros(extra)])),
    ]
    if limit is not None:
        tail = np.concatenate([np.zeros(count), [-limit, 1.0], np.full(days, 1.0 / (0.05 * days))])
        blocks += [
            sparse.csr_matrix(tail),
            sparse.hstack(
                [-returns, np.zeros((days, 1)), -np.ones((days, 1)), -sparse.identity(days)]
            ),
            sparse.hstack([sparse.csr_matrix((days, count + 2)), -sparse.identity(days)]),
        ]
    rows = sparse.vstack(blocks, format="csc")
    rhs = np.zeros(rows.shape[0])
    rhs[0] = 1.0
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    solver = clarabel.DefaultSolver(
        hessian,
        np.zeros(columns),
        rows,
        rhs,
        [clarabel.ZeroConeT(2), clarabel.NonnegativeConeT(rows.shape[0] - 2)],
        settings,
    )
    solution = np.array(solver.solve().x)
    return solution[:count] / solution[count]


def highs_qp(returns: FloatArray, problem: Problem) -> FloatArray:
    """HiGHS' active-set QP solver on the textbook max-Sharpe QP, for comparison only.

    MATS left it: on CVaR rows it stops with "Solve error", or runs on (see optimizer/qp.py).
    """
    count = returns.shape[1]
    mean, covariance = _scaled_moments(returns)
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    # x = [y, kappa]: mean'y = 1, 1'y - kappa = 0, y - cap kappa <= 0.
    rows = [(np.arange(count), mean, 1.0, 1.0)]
    rows.append((np.arange(count + 1), np.append(np.ones(count), -1.0), 0.0, 0.0))
    rows += [(np.array([i, count]), np.array([1.0, -CAP]), -inf, 0.0) for i in range(count)]
    lengths = [len(r[0]) for r in rows]
    highs.passModel(
        count + 1,
        len(rows),
        sum(lengths),
        int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        np.zeros(count + 1),
        np.zeros(count + 1),
        np.full(count + 1, inf),
        np.array([r[2] for r in rows]),
        np.array([r[3] for r in rows]),
        np.cumsum([0, *lengths[:-1]]).astype(np.int32),
        np.concatenate([r[0] for r in rows]).astype(np.int32),
        np.concatenate([r[1] for r in rows]),
        np.zeros(count + 1, dtype=np.int32),
    )
    lower_rows, lower_columns = np.tril_indices(count)
    order = np.lexsort((lower_rows, lower_columns))
    lower_rows, lower_columns = lower_rows[order], lower_columns[order]
    starts = np.concatenate([[0], np.cumsum(np.bincount(lower_columns, minlength=count))])
    starts = np.append(starts, starts[-1])
    highs.passHessian(
        count + 1,
        len(lower_rows),
        int(highspy.HessianFormat.kTriangular),
        starts[:-1].astype(np.int32),
        lower_rows.astype(np.int32),
        2.0 * covariance[lower_rows, lower_columns],
    )
    highs.run()
    solution = np.array(highs.getSolution().col_value)
    return solution[:count] / solution[count]


def pypfopt(frame: pd.DataFrame, problem: Problem) -> FloatArray:
    from pypfopt import EfficientCVaR, EfficientFrontier  # noqa: PLC0415 - optional peer.

    mean = frame.mean()
    if problem.kind == "max_sharpe":
        frontier = EfficientFrontier(mean, frame.cov(), weight_bounds=(0, CAP))
        frontier.max_sharpe(risk_free_rate=0.0)
        return _weights(frontier.weights)
    cvar = EfficientCVaR(mean, frame, beta=CONFIDENCE, weight_bounds=(0, CAP))
    if problem.kind == "min_cvar":
        cvar.min_cvar()
    else:
        cvar.efficient_risk(problem.cvar_limit)
    return _weights(cvar.weights)


def riskfolio(frame: pd.DataFrame, problem: Problem) -> FloatArray:
    import riskfolio as rp  # noqa: PLC0415 - optional peer.

    portfolio = rp.Portfolio(returns=frame)
    portfolio.assets_stats(method_mu="hist", method_cov="hist")
    portfolio.upperlng = CAP
    portfolio.alpha = 1 - CONFIDENCE
    if problem.kind == "max_sharpe":
        if problem.cvar_limit is not None:
            portfolio.upperCVaR = problem.cvar_limit
        weights = portfolio.optimization(model="Classic", rm="MV", obj="Sharpe", rf=0, hist=True)
    elif problem.kind == "min_cvar":
        weights = portfolio.optimization(model="Classic", rm="CVaR", obj="MinRisk", rf=0)
    else:
        portfolio.upperCVaR = problem.cvar_limit
        weights = portfolio.optimization(model="Classic", rm="CVaR", obj="MaxRet", rf=0)
    if weights is None:
        raise RuntimeError("riskfolio found no solution")
    return _weights(weights.to_numpy().ravel())


def skfolio(returns: FloatArray, problem: Problem) -> FloatArray:
    from skfolio import RiskMeasure  # noqa: PLC0415 - optional peer.
    from skfolio.optimization import MeanRisk, ObjectiveFunction  # noqa: PLC0415

    budget: dict[str, Any] = {"budget": 1.0}
    if problem.max_total > 1:
        budget = {"budget": None, "max_budget": problem.max_total}
    common: dict[str, Any] = {"max_weights": CAP, "cvar_beta": CONFIDENCE, **budget}
    if problem.kind == "max_sharpe":
        model = MeanRisk(
            objective_function=ObjectiveFunction.MAXIMIZE_RATIO,
            risk_measure=RiskMeasure.STANDARD_DEVIATION,
            risk_free_rate=0.0,
            max_cvar=problem.cvar_limit,
            **common,
        )
    elif problem.kind == "min_cvar":
        model = MeanRisk(
            objective_function=ObjectiveFunction.MINIMIZE_RISK,
            risk_measure=RiskMeasure.CVAR,
            **common,
        )
    else:
        model = MeanRisk(
            objective_function=ObjectiveFunction.MAXIMIZE_RETURN,
            risk_measure=RiskMeasure.CVAR,
            max_cvar=problem.cvar_limit,
            **common,
        )
    model.fit(returns)
    return _weights(model.weights_)


def _weights(values: Any) -> FloatArray:
    if isinstance(values, dict):
        return np.array(list(values.values()), dtype=np.float64)
    return np.asarray(values, dtype=np.float64)
