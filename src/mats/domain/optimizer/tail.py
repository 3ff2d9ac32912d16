"""The Rockafellar-Uryasev LP with only the days it needs: CVaR by constraint generation.

At an optimum of the RU LP (:mod:`.cvar`) only the days in the CVaR tail, where the loss exceeds
the VaR variable ``a``, have a binding scenario row; the other ~95% of the T rows are slack. This
model starts from the worst days of a guess portfolio. After each solve it adds every day left out
whose loss ``-r_t'w`` exceeds ``a``, together with the worst days of the new portfolio as a margin,
and solves again. Once no day left out exceeds ``a``, the answer with ``u_t = 0`` on those days is
feasible for the full LP and optimal, because the model is a relaxation of it: the optimum is the
full LP's, from about a quarter of its rows on the research data. Every round adds at least one
day, so it ends.

New days enter as a column ``u_t`` at its bound and a row with a basic slack, so the basis stays
valid and dual feasible and HiGHS' dual simplex restarts from it; so does tightening the CVaR row.

A walk along the frontier moves the tail, so the model also forgets: once it holds many more days
than it watches, an optimal answer drops the days whose loss sits below ``a`` and outside the
portfolio's worst days. Their rows are slack (slack basic) and their ``u_t`` are 0 (nonbasic), so
the basis stays valid and the answer stays optimal for the smaller model. It is still a relaxation
of the full LP and every solve still checks every day left out, so a day forgotten too early only
comes back: forgetting changes the cost, never the answer.

Columns: ``[w (N), a, d (N, turnover only), u (one per day in the model)]``. Rows: the total, the
CVaR row ``a + k 1'u <= limit``, the turnover rows, then one scenario row per day in the model.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from mats.domain.optimizer.cvar import layout_of, primal_program, return_scale, scenario_rows
from mats.domain.optimizer.highs import (
    INFINITY,
    LIMIT_TOLERANCE,
    FloatArray,
    HighsModel,
    SolveStatus,
    SparseRows,
)
from mats.domain.optimizer.problem import Problem

BoolArray = npt.NDArray[np.bool_]

# Each round also adds the worst days of the new portfolio, this many times the tail's size, so the
# next solves rarely find a day missing. Fewer days cost re-solves, more make every pivot dearer.
WATCH_MULTIPLE = 1.5
# The model forgets once it holds more than FORGET_MULTIPLE times the watched days, and then keeps
# every day among the portfolio's worst KEEP_MULTIPLE times the watched days or within
# FORGET_MARGIN of a. The three were swept together on the research data (bench/optimizer, sizes
# 10x756 to 200x2520): 1.5 / 1.5 / 1.3 cut the 25-point frontier by 13% (10x756) to 44%
# (200x2520) against never forgetting with WATCH_MULTIPLE 2; tighter values forget days the walk
# soon needs again.
FORGET_MULTIPLE = 1.5
KEEP_MULTIPLE = 1.3
FORGET_MARGIN = 1e-9
# A day left out counts as missing when its loss exceeds a by more than this; the days left out
# then add at most this / (1 - confidence) to the CVaR the LP reports (2e-11 at 95%).
VIOLATION_TOLERANCE = 1e-12


class TailAnswer(NamedTuple):
    """``weights`` as HiGHS returned them; ``objective`` is the daily CVaR or mean return.

    ``cvar_row`` is the CVaR row's value ``a + k 1'u``. Under a CVaR limit, or when minimising
    CVaR, no day is missing, so it is at least the CVaR of ``weights`` (up to the 2e-11 that
    VIOLATION_TOLERANCE allows).
    """

    status: str
    weights: FloatArray
    objective: float
    cvar_row: float


class TailModel:
    """One warm HiGHS model that minimises CVaR or maximises return under a CVaR limit."""

    def __init__(self, problem: Problem) -> None:
        self._problem = problem
        self._count = problem.strategy_count
        layout = layout_of(problem, scenarios=False)
        self._alpha = layout.alpha
        self._cvar_row = layout.cvar_row
        self._first_excess = layout.column_count
        self._return_scale = return_scale(problem)
        self._return_cost = np.zeros(layout.column_count)
        self._return_cost[: self._count] = -problem.mean / self._return_scale
        self._cvar_cost = np.zeros(layout.column_count)
        self._cvar_cost[self._alpha] = 1.0
        skeleton = primal_program(problem, self._return_cost, None, scenarios=False)
        self._first_scenario_row = skeleton.rows.row_count
        self._model = HighsModel(skeleton)
        self._model.set_option("primal_feasibility_tolerance", LIMIT_TOLERANCE)
        # Devex pricing: 4-7% faster than steepest edge on these short warm restarts.
        self._model.set_option("simplex_dual_edge_weight_strategy", 1)
        # A warm restart ends after a few pivots, and HiGHS then tests the updated factor's
        # accuracy by solving a random system before it may refactor: on this walk that test
        # cost more than the pivots (7% of a 10x756 frontier). With a handful of updates since
        # the last INVERT the factor is accurate, HiGHS still recomputes the final primal and
        # dual values from it, and every CVaR the frontier reports is re-scored exactly.
        self._model.set_option("rebuild_refactor_solution_error_tolerance", -1.0)
        self._minimising_cvar = False
        self._left_out = np.ones(problem.observation_count, dtype=bool)
        # Strategies x days, each strategy's returns contiguous: w @ this is about 2x faster
        # than R @ w for the few strategies and many days here.
        self._by_strategy = np.ascontiguousarray(problem.returns.T)
        # Constant blocks for the days' columns and rows; each addition takes a slice of them.
        days = problem.observation_count
        self._zeros = np.zeros(days)
        self._infinities = np.full(days, INFINITY)
        self._tail_weights = np.full(days, problem.tail_weight)
        self._in_cvar_row = np.full(days, self._cvar_row, dtype=np.int32)
        self._starts = np.arange(days + 1, dtype=np.int32)
        # The day behind each u column and scenario row, in the model's order.
        self._days = np.zeros(0, dtype=np.intp)
        tail = (1.0 - problem.settings.cvar_confidence) * problem.observation_count
        # At least the tail's size, or minimising a + k 1'u over too few days is unbounded.
        self._watch = min(problem.observation_count, math.ceil(WATCH_MULTIPLE * tail) + 1)
        self.runs = 0
        self.iterations = 0

    @property
    def day_count(self) -> int:
        """How many days' scenario rows the model holds now."""
        return len(self._days)

    def minimise_cvar(self, guess: FloatArray) -> TailAnswer:
        """Return the minimum-CVaR portfolio, starting from the worst days of ``guess``."""
        self._use_costs(minimise_cvar=True)
        self._model.set_row_bounds(self._cvar_row, -INFINITY, INFINITY)
        self._add_days(self._worst_days(guess @ self._by_strategy))
        return self._solve(generate=True)

    def maximise_return(self, cvar_limit: float | None) -> TailAnswer:
        """Return the max-return portfolio with daily CVaR <= ``cvar_limit`` (None: no limit)."""
        self._use_costs(minimise_cvar=False)
        upper = INFINITY if cvar_limit is None else cvar_limit
        self._model.set_row_bounds(self._cvar_row, -INFINITY, upper)
        # Without a limit every scenario row can be met by its u_t, so no day is ever missing.
        return self._solve(generate=cvar_limit is not None)

    def watch(self, weights: FloatArray) -> None:
        """Add the worst days of ``weights``, a portfolio the next solves will be near."""
        self._add_days(self._worst_days(weights @ self._by_strategy))

    def _solve(self, *, generate: bool) -> TailAnswer:
        while True:
            solution = self._model.solve()
            self.runs += 1
            self.iterations += solution.iterations
            weights = solution.x[: self._count]
            if self._minimising_cvar:
                objective = solution.objective
            else:
                objective = -solution.objective * self._return_scale
            var = solution.x[self._alpha]
            cvar_row = var + self._problem.tail_weight * solution.x[self._first_excess :].sum()
            answer = TailAnswer(solution.status, weights, objective, float(cvar_row))
            if solution.status != SolveStatus.OPTIMAL or not generate:
                return answer
            # Daily returns R w: a day's loss exceeds a when its return is below -a.
            gains = weights @ self._by_strategy
            missing = gains < -(var + VIOLATION_TOLERANCE)
            missing &= self._left_out
            if not missing.any():
                self._forget_idle_days(gains, var)
                return answer
            self._add_days(missing | self._worst_days(gains))

    def _worst_days(self, gains: FloatArray) -> BoolArray:
        """Mark the watched number of days with the lowest returns ``gains``."""
        worst = np.zeros(len(gains), dtype=bool)
        if self._watch >= len(gains):
            worst[:] = True
        else:
            worst[np.argpartition(gains, self._watch - 1)[: self._watch]] = True
        return worst

    def _add_days(self, wanted: BoolArray) -> None:
        days = np.flatnonzero(wanted & self._left_out)
        if not len(days):
            return
        added = len(days)
        first = self._first_excess + self.day_count
        zeros, infinities = self._zeros[:added], self._infinities[:added]
        # Each u_t has one entry in the CVaR row now; its scenario row adds the second below.
        self._model.add_columns(
            self._tail_weights[:added] if self._minimising_cvar else zeros,
            zeros,
            infinities,
            SparseRows(
                self._starts[: added + 1], self._in_cvar_row[:added], self._tail_weights[:added], 0
            ),
        )
        rows = scenario_rows(self._problem.returns[days], self._alpha, first)
        self._model.add_rows(zeros, infinities, rows)
        self._left_out[days] = False
        self._days = np.concatenate([self._days, days])

    def _forget_idle_days(self, gains: FloatArray, var: float) -> None:
        """Drop the days far below ``a`` (VaR) once the model holds many more than it watches."""
        if self.day_count <= FORGET_MULTIPLE * self._watch:
            return
        held = gains[self._days]
        keep = min(len(gains), int(KEEP_MULTIPLE * self._watch))
        cutoff = np.partition(gains, keep - 1)[keep - 1]
        idle = (held > FORGET_MARGIN - var) & (held > cutoff)
        if not idle.any():
            return
        positions = np.flatnonzero(idle).astype(np.int32)
        self._model.delete_rows(self._first_scenario_row + positions)
        self._model.delete_columns(self._first_excess + positions)
        self._left_out[self._days[idle]] = True
        self._days = self._days[~idle]

    def _use_costs(self, *, minimise_cvar: bool) -> None:
        if minimise_cvar == self._minimising_cvar:
            return
        excess = self.day_count
        if minimise_cvar:
            cost = np.concatenate([self._cvar_cost, np.full(excess, self._problem.tail_weight)])
        else:
            cost = np.concatenate([self._return_cost, np.zeros(excess)])
        self._model.set_costs(cost)
        self._minimising_cvar = minimise_cvar
