"""Minimum CVaR through the dual of the Rockafellar-Uryasev LP.

The primal has one row per day (T + 1 rows); its dual has one row per strategy (N + 1 rows, 2N + 1
more with a turnover limit) and one bounded column per day, so the simplex basis is N-sized instead
of T-sized and HiGHS solves it in about half the time (research, section 3.4). The weights are the
multipliers of the dual's strategy rows.

Dual variables, each >= 0 unless said otherwise: ``p`` per day (bounded by ``k``), ``low``/``high``
for the total, ``z_floor``/``z_cap`` for the per-strategy bounds, ``up``/``down``/``s`` for the
turnover rows::

    max  m low - M high + f'z_floor - c'z_cap - w0'up + w0'down - budget s
    s.t. R'p + low - high + z_floor - z_cap - up + down = 0     (one row per strategy: w)
         1'p = 1                                             (the free a column)
         up + down - s <= 0                                  (one row per strategy: d)
         0 <= p <= k                                         (the u columns)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mats.domain.optimizer.highs import (
    INFINITY,
    FloatArray,
    HighsModel,
    LinearProgram,
    Solution,
    SparseRows,
)
from mats.domain.optimizer.problem import Problem


@dataclass(frozen=True, eq=False)
class DualAnswer:
    weights: FloatArray
    cvar: float
    solution: Solution


def solve_min_cvar_dual(problem: Problem) -> DualAnswer:
    """Minimise CVaR by solving the dual LP; return the weights and the optimal CVaR."""
    program = _dual_program(problem)
    solution = HighsModel(program).solve()
    count = problem.strategy_count
    # HiGHS reports duals of a minimisation; the dual objective was negated to minimise it.
    weights = -solution.row_duals[:count]
    return DualAnswer(weights=weights, cvar=-solution.objective, solution=solution)


def _dual_program(problem: Problem) -> LinearProgram:
    days, count = problem.returns.shape
    turnover = problem.turnover_budget is not None
    settings = problem.settings
    # Columns: p (days), low, high, z_floor (N), z_cap (N)[, up (N), down (N), s].
    strategy = np.arange(count)
    p_columns = np.arange(days)
    low, high = days, days + 1
    z_floor = days + 2 + strategy
    z_cap = days + 2 + count + strategy
    up = days + 2 + 2 * count + strategy
    down = up + count
    s = days + 2 + 4 * count
    column_count = days + 2 + 2 * count + (2 * count + 1 if turnover else 0)

    # Strategy rows: the dense R' block first, then the per-strategy terms.
    per_row = days + 4 + (2 if turnover else 0)
    indices = np.empty((count, per_row), dtype=np.int32)
    values = np.empty((count, per_row))
    indices[:, :days] = p_columns
    values[:, :days] = problem.returns.T
    extra_columns = [np.full(count, low), np.full(count, high), z_floor, z_cap]
    extra_values = [1.0, -1.0, 1.0, -1.0]
    if turnover:
        extra_columns += [up, down]
        extra_values += [-1.0, 1.0]
    for offset, (column, value) in enumerate(zip(extra_columns, extra_values, strict=True)):
        indices[:, days + offset] = column
        values[:, days + offset] = value
    row_indices = [indices.ravel(), p_columns.astype(np.int32)]
    row_values = [values.ravel(), np.ones(days)]
    indptr: list[npt.NDArray[np.int64]] = [
        np.arange(0, count * per_row + 1, per_row),
        np.array([count * per_row + days]),
    ]
    row_lower: list[FloatArray] = [np.zeros(count), np.ones(1)]
    row_upper: list[FloatArray] = [np.zeros(count), np.ones(1)]
    if turnover:
        triples = np.stack([up, down, np.full(count, s)], axis=1).ravel()
        row_indices.append(triples.astype(np.int32))
        row_values.append(np.tile([1.0, 1.0, -1.0], count))
        indptr.append(count * per_row + days + 3 * (strategy + 1))
        row_lower.append(np.full(count, -INFINITY))
        row_upper.append(np.zeros(count))

    cost = np.zeros(column_count)
    cost[low] = -settings.min_total_allocation
    cost[high] = settings.max_total_allocation
    cost[z_floor] = -problem.lower
    cost[z_cap] = problem.upper
    col_upper = np.full(column_count, INFINITY)
    col_upper[p_columns] = problem.tail_weight
    if turnover:
        cost[up] = problem.current
        cost[down] = -problem.current
        cost[s] = problem.turnover_budget
    return LinearProgram(
        cost=cost,
        col_lower=np.zeros(column_count),
        col_upper=col_upper,
        rows=SparseRows(
            np.concatenate(indptr).astype(np.int32),
            np.concatenate(row_indices).astype(np.int32),
            np.concatenate(row_values),
            column_count,
        ),
        row_lower=np.concatenate(row_lower).astype(np.float64),
        row_upper=np.concatenate(row_upper).astype(np.float64),
    )
