"""Maximum Sharpe ratio as a convex QP (Charnes-Cooper / Cornuejols-Tutuncu transform).

``max mu'w / sqrt(w' S w)`` over a polyhedron is not convex, but with ``y = k w`` and the
normalisation ``mu'y = 1`` it becomes ``min y' S y`` over the homogenised constraints (every
``a'w <= b`` turns into ``a'y - b k <= 0``), provided some feasible portfolio has ``mu'w > 0``.
The weights are ``y / k``.

Columns: ``[y (N), k, a, u (T) with a CVaR limit, d (N) with a turnover limit]``. Rows:
``mu'y = 1``, ``1'y = s k`` (s = ``sharpe_total_allocation``), ``y <= cap k``, ``y >= floor k``,
the homogenised CVaR rows and the homogenised turnover rows.

HiGHS' QP solver stops about 1e-5 short on raw daily data (mu ~ 4e-4, S ~ 1e-4), so mu and S are
rescaled to O(1) first; the Sharpe ratio does not depend on either scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mats.domain.optimizer.highs import (
    INFINITY,
    FloatArray,
    Hessian,
    HighsModel,
    LinearProgram,
    Solution,
    SparseRows,
)
from mats.domain.optimizer.problem import Problem


@dataclass(frozen=True, eq=False)
class SharpeAnswer:
    weights: FloatArray
    solution: Solution
    feasible: bool


def solve_max_sharpe(problem: Problem, covariance: FloatArray) -> SharpeAnswer:
    """Maximise the Sharpe ratio at ``sharpe_total_allocation``; ``feasible`` is False if none."""
    count = problem.strategy_count
    scaled_mean = problem.mean / float(np.max(np.abs(problem.mean)))
    scaled_covariance = covariance / float(np.mean(np.diag(covariance)))
    builder = _Builder(problem)
    program = builder.program(scaled_mean)
    solution = HighsModel(program, _hessian(scaled_covariance, builder.column_count)).solve()
    if solution.status != "optimal":
        return SharpeAnswer(np.zeros(count), solution, feasible=False)
    scale = solution.x[count]
    weights = solution.x[:count] / scale
    return SharpeAnswer(weights, solution, feasible=True)


def _hessian(covariance: FloatArray, column_count: int) -> Hessian:
    count = covariance.shape[0]
    # HiGHS minimises c'x + x'Qx/2 with Q's lower triangle stored column by column. Column j of
    # that triangle is row j of the upper one (Q is symmetric), so the row-major upper triangle
    # is already in HiGHS' order, and its column numbers are the row indices HiGHS wants.
    upper = np.triu(np.ones((count, count), dtype=bool))
    index = np.broadcast_to(np.arange(count, dtype=np.int32), (count, count))[upper]
    start = np.zeros(column_count + 1, dtype=np.int32)
    start[1 : count + 1] = np.cumsum(np.arange(count, 0, -1))
    start[count + 1 :] = start[count]
    return Hessian(start, index, 2.0 * covariance[upper])


class _Builder:
    """Assemble the homogenised rows block by block."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        count = problem.strategy_count
        self.scale = count
        self.cvar = problem.settings.cvar_limit is not None
        self.turnover = problem.turnover_budget is not None
        days = problem.observation_count if self.cvar else 0
        self.alpha = count + 1
        self.excess = count + 2
        self.deviation = count + 1 + (days + 1 if self.cvar else 0)
        self.column_count = self.deviation + (count if self.turnover else 0)
        self.blocks: list[tuple[npt.NDArray[np.int32], FloatArray, float, float]] = []

    def add(
        self, columns: npt.ArrayLike, values: npt.ArrayLike, lower: float, upper: float
    ) -> None:
        """Add rows of equal length: ``columns`` and ``values`` are 1-D (one row) or 2-D."""
        self.blocks.append(
            (
                np.atleast_2d(np.asarray(columns, dtype=np.int32)),
                np.atleast_2d(np.asarray(values, dtype=np.float64)),
                lower,
                upper,
            )
        )

    def program(self, scaled_mean: FloatArray) -> LinearProgram:
        problem, count = self.problem, self.problem.strategy_count
        strategies = np.arange(count)
        both = np.append(strategies, self.scale)
        self.add(strategies, scaled_mean, 1.0, 1.0)
        total = problem.settings.sharpe_total_allocation
        self.add(both, np.append(np.ones(count), -total), 0.0, 0.0)
        pairs = np.stack([strategies, np.full(count, self.scale)], axis=1)
        self.add(pairs, np.stack([np.ones(count), -problem.upper], axis=1), -INFINITY, 0.0)
        floored = problem.lower > 0
        if floored.any():
            floors = np.stack([np.ones(count), -problem.lower], axis=1)[floored]
            self.add(pairs[floored], floors, 0.0, INFINITY)
        if self.turnover:
            self._turnover_rows()
        dense = self._cvar_rows() if self.cvar else None
        return self._assemble(dense)

    def _turnover_rows(self) -> None:
        problem, count = self.problem, self.problem.strategy_count
        strategies = np.arange(count)
        columns = np.stack([self.deviation + strategies, strategies, np.full(count, self.scale)], 1)
        ones, current = np.ones(count), problem.current
        self.add(columns, np.stack([ones, -ones, current], axis=1), 0.0, INFINITY)
        self.add(columns, np.stack([ones, ones, -current], axis=1), 0.0, INFINITY)
        deviations = self.deviation + np.arange(count)
        budget = float(problem.turnover_budget or 0.0)
        self.add(
            np.append(deviations, self.scale), np.append(np.ones(count), -budget), -INFINITY, 0
        )

    def _cvar_rows(self) -> SparseRows:
        problem = self.problem
        days, count = problem.returns.shape
        excess = self.excess + np.arange(days)
        limit = float(problem.settings.cvar_limit or 0.0)
        self.add(
            np.concatenate([[self.alpha], excess, [self.scale]]),
            np.concatenate([[1.0], np.full(days, problem.tail_weight), [-limit]]),
            -INFINITY,
            0.0,
        )
        width = count + 2
        indices = np.empty((days, width), dtype=np.int32)
        indices[:, :count] = np.arange(count)
        indices[:, count] = self.alpha
        indices[:, count + 1] = excess
        values = np.ones((days, width))
        values[:, :count] = problem.returns
        return SparseRows(
            np.arange(0, days * width + 1, width, dtype=np.int32),
            indices.ravel(),
            values.ravel(),
            self.column_count,
        )

    def _assemble(self, dense: SparseRows | None) -> LinearProgram:
        lengths = [np.full(len(columns), columns.shape[1]) for columns, _, _, _ in self.blocks]
        indptr = np.concatenate([[0], np.cumsum(np.concatenate(lengths))])
        indices = np.concatenate([columns.ravel() for columns, _, _, _ in self.blocks])
        values = np.concatenate([block[1].ravel() for block in self.blocks])
        lower = np.concatenate([np.full(len(block[0]), block[2]) for block in self.blocks])
        upper = np.concatenate([np.full(len(block[0]), block[3]) for block in self.blocks])
        if dense is not None:
            indptr = np.concatenate([indptr, dense.indptr[1:] + indptr[-1]])
            indices = np.concatenate([indices, dense.indices])
            values = np.concatenate([values, dense.values])
            lower = np.concatenate([lower, np.zeros(dense.row_count)])
            upper = np.concatenate([upper, np.full(dense.row_count, INFINITY)])
        col_lower = np.zeros(self.column_count)
        col_upper = np.full(self.column_count, INFINITY)
        if self.cvar:
            col_lower[self.alpha] = -INFINITY
        return LinearProgram(
            cost=np.zeros(self.column_count),
            col_lower=col_lower,
            col_upper=col_upper,
            rows=SparseRows(
                indptr.astype(np.int32),
                indices.astype(np.int32),
                values.astype(np.float64),
                self.column_count,
            ),
            row_lower=lower,
            row_upper=upper,
        )
