"""Maximum Sharpe ratio as a convex QP (Charnes-Cooper / Cornuejols-Tutuncu transform).

``max mu'w / sqrt(w' S w)`` over a polyhedron is not convex, but with ``y = k w`` and the
normalisation ``mu'y = 1`` it becomes ``min y' S y`` over the homogenised constraints (every
``a'w <= b`` turns into ``a'y - b k <= 0``), provided some feasible portfolio has ``mu'w > 0``.
The weights are ``y / k``. Clarabel solves it (:mod:`.qp`).

Columns: ``[y (N), k, d (N) with a turnover limit, a and v (one per day held) with a CVaR
limit]``. Rows: ``mu'y = 1``, ``1'y = s k`` (s = ``sharpe_total_allocation``), ``floor k <= y <=
cap k``, ``k >= 0``, the homogenised turnover rows and the homogenised Rockafellar-Uryasev rows
``a + sum(v) / ((1 - b) T) <= limit k``, ``v_t >= -r_t'y - a``, ``v >= 0``.

The RU rows hold only the days that matter. Leaving days out of the sum can only lower it, so
the QP over a subset of days is a relaxation; and when a portfolio's CVaR tail
(:func:`.cvar.tail_days`) is all in the subset, the subset's sum at the tail's VaR is that
portfolio's CVaR. So: solve, add the days of the tail of any answer over the limit, solve again.
Each round adds a day it lacks, so the loop ends; the last answer meets the limit and is optimal
over a relaxation, hence optimal. On the benchmark data it takes 2-7 solves holding 40-210 of up
to 2,520 days; Clarabel on the whole block is 14x slower at 200 x 2,520.

The model's limit is LIMIT_MARGIN below the real one, so the solver's rounding (1e-9) lands
inside it: the returned portfolio's CVaR, computed exactly, never exceeds the limit.

mu and S are rescaled to O(1) and the RU rows divided by the limit; the Sharpe ratio does not
change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from mats.domain.optimizer.cvar import tail_days
from mats.domain.optimizer.errors import OptimizerError, OptimizerErrorCode
from mats.domain.optimizer.highs import FloatArray, IntArray, SolveStatus
from mats.domain.optimizer.problem import Problem
from mats.domain.optimizer.qp import QuadraticProgram, solve_qp

LIMIT_MARGIN = 1e-8


@dataclass(frozen=True, eq=False)
class SharpeAnswer:
    """The last round's answer; ``iterations`` and ``seconds`` add up every round."""

    weights: FloatArray
    feasible: bool
    objective: float
    iterations: int
    seconds: float
    rounds: int
    days_held: int


def solve_max_sharpe(problem: Problem, covariance: FloatArray) -> SharpeAnswer:
    """Maximise the Sharpe ratio at ``sharpe_total_allocation``; ``feasible`` is False if none."""
    count = problem.strategy_count
    builder = _Builder(problem, covariance)
    days: IntArray = np.zeros(0, dtype=np.int32)
    iterations, seconds, rounds = 0, 0.0, 0
    while True:
        solution = solve_qp(builder.program(days))
        iterations += solution.iterations
        seconds += solution.seconds
        rounds += 1
        if solution.status != SolveStatus.OPTIMAL:
            return SharpeAnswer(
                np.zeros(count), False, np.nan, iterations, seconds, rounds, len(days)
            )
        weights = solution.x[:count] / solution.x[count]
        missing = _tail_days_missing(problem, weights, days)
        if missing is None:
            return SharpeAnswer(
                weights, True, solution.objective, iterations, seconds, rounds, len(days)
            )
        days = np.union1d(days, missing).astype(np.int32)


def _tail_days_missing(problem: Problem, weights: FloatArray, held: IntArray) -> IntArray | None:
    """Return the tail days ``held`` lacks if ``weights`` break the CVaR limit, else None."""
    limit = problem.settings.cvar_limit
    if limit is None:
        return None
    losses = -(problem.returns @ weights)
    days, tail_weights = tail_days(losses, problem.settings.cvar_confidence)
    cvar = float(tail_weights @ losses[days])
    if cvar <= limit:
        return None
    missing = np.setdiff1d(days, held)
    if not len(missing):
        raise OptimizerError(
            OptimizerErrorCode.SOLVER_FAILED,
            f"Clarabel returned a portfolio whose CVaR {cvar:.6%} exceeds the limit "
            f"{limit:.6%} on days it already holds",
        )
    return missing.astype(np.int32)


class _Builder:
    """The homogenised QP: the fixed rows once, the RU rows for each set of days."""

    def __init__(self, problem: Problem, covariance: FloatArray) -> None:
        self.problem = problem
        count = problem.strategy_count
        self.count = count
        # y, k and the turnover deviations d; the RU columns follow when a limit holds days.
        self.base_columns = count + 1 + (count if problem.turnover_budget is not None else 0)
        scaled_mean = problem.mean / float(np.max(np.abs(problem.mean)))
        scaled_covariance = covariance / float(np.mean(np.diag(covariance)))
        self.covariance = sparse.csc_matrix(np.triu(2.0 * scaled_covariance))
        self.equalities = sparse.csr_matrix(
            np.vstack(
                [
                    np.concatenate([scaled_mean, [0.0]]),
                    np.concatenate([np.ones(count), [-problem.settings.sharpe_total_allocation]]),
                ]
            )
        )
        self.inequalities = self._fixed_rows()

    def program(self, days: IntArray) -> QuadraticProgram:
        count, base = self.count, self.base_columns
        columns = base + (1 + len(days) if len(days) else 0)
        hessian = sparse.block_diag(
            [self.covariance, sparse.csc_matrix((columns - count, columns - count))], "csc"
        )
        equalities = _widen(self.equalities, columns)
        rows = [_widen(self.inequalities, columns)]
        if len(days):
            rows.append(self._tail_rows(days, columns))
        inequalities = sparse.vstack(rows, format="csc")
        return QuadraticProgram(
            hessian=sparse.csc_matrix(hessian),
            equalities=equalities.tocsc(),
            equality_rhs=np.array([1.0, 0.0]),
            inequalities=sparse.csc_matrix(inequalities),
            upper=np.zeros(inequalities.shape[0]),
        )

    def _fixed_rows(self) -> sparse.csr_matrix:
        """``y - cap k <= 0``, ``floor k - y <= 0``, ``-k <= 0`` and the turnover rows."""
        problem, count = self.problem, self.count
        identity = sparse.identity(count, format="csr")
        cap = sparse.csr_matrix(-problem.upper[:, np.newaxis])
        floor = sparse.csr_matrix(problem.lower[:, np.newaxis])
        scale = sparse.csr_matrix(([-1.0], ([0], [count])), shape=(1, count + 1))
        blocks = [sparse.hstack([identity, cap]), sparse.hstack([-identity, floor]), scale]
        if problem.turnover_budget is None:
            return sparse.csr_matrix(sparse.vstack(blocks, format="csr"))
        # |y - c k| <= d and sum(d) <= budget k, with d the deviation from the current weights.
        current = sparse.csr_matrix(problem.current[:, np.newaxis])
        blocks = [_widen(sparse.csr_matrix(block), 2 * count + 1) for block in blocks]
        blocks += [
            sparse.hstack([identity, -current, -identity]),
            sparse.hstack([-identity, current, -identity]),
            sparse.csr_matrix(
                np.concatenate([np.zeros(count), [-problem.turnover_budget], np.ones(count)])
            ),
        ]
        return sparse.csr_matrix(sparse.vstack(blocks, format="csr"))

    def _tail_rows(self, days: IntArray, columns: int) -> sparse.csr_matrix:
        """``a + sum(v)/((1-b)T) <= k(1 - margin)``, ``-(r_t/limit)'y - a - v_t <= 0``, ``-v <= 0``.

        ``a`` and ``v`` are in units of the limit, which keeps the rows O(1).
        """
        problem, count, base = self.problem, self.count, self.base_columns
        limit = float(problem.settings.cvar_limit or 0.0)
        held = len(days)
        tail_size = (1.0 - problem.settings.cvar_confidence) * len(problem.returns)
        budget = np.zeros((1, columns))
        budget[0, count] = -(1.0 - LIMIT_MARGIN)
        budget[0, base] = 1.0
        budget[0, base + 1 :] = 1.0 / tail_size
        losses = sparse.hstack(
            [
                sparse.csr_matrix(-problem.returns[days] / limit),
                sparse.csr_matrix((held, base - count)),
                sparse.csr_matrix(-np.ones((held, 1))),
                -sparse.identity(held, format="csr"),
            ]
        )
        positive = sparse.hstack(
            [sparse.csr_matrix((held, base + 1)), -sparse.identity(held, format="csr")]
        )
        return sparse.csr_matrix(
            sparse.vstack([sparse.csr_matrix(budget), losses, positive], format="csr")
        )


def _widen(rows: sparse.csr_matrix, columns: int) -> sparse.csr_matrix:
    """``rows`` with zero columns appended up to ``columns``."""
    extra = columns - rows.shape[1]
    if not extra:
        return rows
    return sparse.csr_matrix(
        sparse.hstack([rows, sparse.csr_matrix((rows.shape[0], extra))], format="csr")
    )
