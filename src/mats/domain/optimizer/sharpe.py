"""Maximum Sharpe ratio as a convex QP (Charnes-Cooper / Cornuejols-Tutuncu transform).

``max mu'w / sqrt(w' S w)`` over a polyhedron is not convex, but with ``y = k w`` and the
normalisation ``mu'y = 1`` it becomes ``min y' S y`` over the homogenised constraints (every
``a'w <= b`` turns into ``a'y - b k <= 0``), provided some feasible portfolio has ``mu'w > 0``.
The weights are ``y / k``.

Columns: ``[y (N), k, d (N) with a turnover limit]``. Rows: ``mu'y = 1``, ``1'y = s k`` (s =
``sharpe_total_allocation``), ``y <= cap k``, ``y >= floor k``, the homogenised turnover rows and,
with a CVaR limit, one cut per CVaR tail (below).

The CVaR limit enters as cuts, not as the Rockafellar-Uryasev block of the LPs. CVaR is the
largest ``q'L`` over the weights ``q`` of the tail polytope (``0 <= q_t <= 1/((1 - b) T)``,
``1'q = 1``), so ``CVaR(w) <= limit`` is the finite set of rows ``-(q'R) w <= limit``, one per
vertex ``q``: a tail of days (:func:`.cvar.tail_days`). After each solve the tail of the new
portfolio is added as a row if its CVaR exceeds the limit; every such tail is new, so the loop
ends, and the last portfolio meets the limit while being optimal over a relaxation: it is the
optimum. The RU block would give HiGHS' QP solver T + 1 columns without curvature tied to T
degenerate rows, on which it drifts off its own rows and stops with "Solve error" or does not stop.
Cuts hold every limit that binds mildly; a limit near the lowest reachable CVaR needs thousands
of cuts, on which the active-set solver can still stop. The caller then reports SOLVER_FAILED
(never infeasibility) and the LP methods, which the simplex solves exactly, remain. The QP keeps
HiGHS' default feasibility tolerance: 1e-10 makes it stop more often, and an active cut holds
exactly anyway (each result is re-checked against the limit below).

HiGHS' QP solver stops about 1e-5 short on raw daily data (mu ~ 4e-4, S ~ 1e-4), so mu and S are
rescaled to O(1) first, and each cut is divided by the limit; the Sharpe ratio does not change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mats.domain.optimizer.cvar import tail_days
from mats.domain.optimizer.errors import OptimizerError, OptimizerErrorCode
from mats.domain.optimizer.highs import (
    INFINITY,
    FloatArray,
    Hessian,
    HighsModel,
    LinearProgram,
    Solution,
    SolveStatus,
    SparseRows,
)
from mats.domain.optimizer.problem import Problem

# A cut holds to rounding at the QP's optimum; this is the CVaR overshoot, relative to the limit,
# accepted as rounding rather than a tail still missing from the model.
CVAR_TOLERANCE = 1e-10


@dataclass(frozen=True, eq=False)
class SharpeAnswer:
    """The last solve's ``solution``; ``iterations`` and ``seconds`` add up every solve."""

    weights: FloatArray
    solution: Solution
    feasible: bool
    iterations: int
    seconds: float


def solve_max_sharpe(problem: Problem, covariance: FloatArray) -> SharpeAnswer:
    """Maximise the Sharpe ratio at ``sharpe_total_allocation``; ``feasible`` is False if none."""
    count = problem.strategy_count
    scaled_mean = problem.mean / float(np.max(np.abs(problem.mean)))
    scaled_covariance = covariance / float(np.mean(np.diag(covariance)))
    builder = _Builder(problem)
    model = HighsModel(
        builder.program(scaled_mean), _hessian(scaled_covariance, builder.column_count)
    )
    cuts = _TailCuts(problem, builder.column_count)
    iterations, seconds = 0, 0.0
    while True:
        solution = model.solve()
        iterations += solution.iterations
        seconds += solution.seconds
        if solution.status != SolveStatus.OPTIMAL:
            return SharpeAnswer(np.zeros(count), solution, False, iterations, seconds)
        weights = solution.x[:count] / solution.x[count]
        cut = cuts.violated_by(weights)
        if cut is None:
            return SharpeAnswer(weights, solution, True, iterations, seconds)
        model.add_rows(np.array([-INFINITY]), np.zeros(1), cut)


class _TailCuts:
    """The CVaR tails already in the model, and the cut a portfolio over the limit needs."""

    def __init__(self, problem: Problem, column_count: int) -> None:
        self.problem = problem
        self.column_count = column_count
        self.limit = problem.settings.cvar_limit
        self.added: set[tuple[bytes, bytes]] = set()

    def violated_by(self, weights: FloatArray) -> SparseRows | None:
        """Return the row ``-(q'R/limit) y - k <= 0`` of the tail of ``weights``, if it binds."""
        if self.limit is None:
            return None
        problem, count = self.problem, self.problem.strategy_count
        losses = -(problem.returns @ weights)
        days, tail_weights = tail_days(losses, problem.settings.cvar_confidence)
        cvar = float(tail_weights @ losses[days])
        if cvar <= self.limit * (1.0 + CVAR_TOLERANCE):
            return None
        tail = (days.tobytes(), tail_weights.tobytes())
        if tail in self.added:
            raise OptimizerError(
                OptimizerErrorCode.SOLVER_FAILED,
                f"HiGHS returned a portfolio whose CVaR {cvar:.6%} exceeds the limit "
                f"{self.limit:.6%} on a tail it already holds",
            )
        self.added.add(tail)
        tail_return = tail_weights @ problem.returns[days]
        return SparseRows(
            np.array([0, count + 1], dtype=np.int32),
            np.arange(count + 1, dtype=np.int32),
            np.append(-tail_return / self.limit, -1.0),
            self.column_count,
        )


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
        self.turnover = problem.turnover_budget is not None
        self.deviation = count + 1
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
        return self._assemble()

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

    def _assemble(self) -> LinearProgram:
        lengths = [np.full(len(columns), columns.shape[1]) for columns, _, _, _ in self.blocks]
        indptr = np.concatenate([[0], np.cumsum(np.concatenate(lengths))])
        indices = np.concatenate([columns.ravel() for columns, _, _, _ in self.blocks])
        values = np.concatenate([block[1].ravel() for block in self.blocks])
        lower = np.concatenate([np.full(len(block[0]), block[2]) for block in self.blocks])
        upper = np.concatenate([np.full(len(block[0]), block[3]) for block in self.blocks])
        return LinearProgram(
            cost=np.zeros(self.column_count),
            col_lower=np.zeros(self.column_count),
            col_upper=np.full(self.column_count, INFINITY),
            rows=SparseRows(
                indptr.astype(np.int32),
                indices.astype(np.int32),
                values.astype(np.float64),
                self.column_count,
            ),
            row_lower=lower,
            row_upper=upper,
        )
