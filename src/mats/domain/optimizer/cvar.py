"""Historical CVaR: the exact evaluator and the Rockafellar-Uryasev linear program.

CVaR_b of the daily loss ``-r_t'w`` over T equally likely days is the mean of the worst
``(1 - b) T`` losses, counting the boundary day fractionally. Rockafellar and Uryasev write it as
``min_a a + 1/((1 - b) T) sum_t max(0, -r_t'w - a)``, which is linear with one excess-loss
variable ``u_t`` per day.

Primal columns: ``[w (N), a, u (T), d (N, turnover only)]``. Rows: T scenario rows
``r_t'w + a + u_t >= 0``, the total ``min <= 1'w <= max``, the CVaR row ``a + k 1'u <= limit``
(free when there is no limit) and, with a turnover limit, ``d >= |w - w_current|`` as two rows per
strategy plus ``1'd <= budget``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mats.domain.optimizer.highs import INFINITY, FloatArray, IntArray, LinearProgram, SparseRows
from mats.domain.optimizer.problem import Problem


def historical_cvar(losses: FloatArray, confidence: float) -> float:
    """Return the mean of the worst ``(1 - confidence)`` share of ``losses``, exactly."""
    return float(historical_cvars(np.asarray(losses)[:, np.newaxis], confidence)[0])


def historical_cvars(losses: FloatArray, confidence: float) -> FloatArray:
    """Return :func:`historical_cvar` of each column of ``losses`` (days x portfolios)."""
    days = losses.shape[0]
    tail = (1.0 - confidence) * days
    whole = int(np.floor(tail + 1e-9))
    # Confidence >= 0.5 keeps the tail within half the days, so the edge day always exists.
    edge = days - whole - 1
    ordered = np.partition(losses, edge, axis=0)
    total = ordered[edge + 1 :].sum(axis=0) + (tail - whole) * ordered[edge]
    return np.asarray(total / tail, dtype=np.float64)


def tail_days(losses: FloatArray, confidence: float) -> tuple[IntArray, FloatArray]:
    """Return the days in the CVaR tail of ``losses`` and each one's weight in its average.

    The worst ``floor((1 - confidence) T)`` days weigh 1 and the next one the fraction left (all
    divided by the tail's size); among equal losses the earlier day goes first, as in a stable
    sort, but a partition finds them in O(T).
    """
    days = len(losses)
    tail = (1.0 - confidence) * days
    whole = int(np.floor(tail + 1e-9))
    edge = days - whole - 1
    boundary = np.partition(losses, edge)[edge]
    above = np.flatnonzero(losses > boundary)
    # At most ``whole`` losses exceed the boundary, so at least one tied day is taken.
    tied = np.flatnonzero(losses == boundary)[: whole + 1 - len(above)]
    weights = np.ones(len(above) + len(tied))
    weights[-1] = tail - whole
    return np.concatenate([above, tied]), weights / tail


@dataclass(frozen=True)
class Layout:
    """Where each block of variables and rows sits in the primal program."""

    strategies: int
    days: int
    turnover: bool

    @property
    def alpha(self) -> int:
        return self.strategies

    @property
    def excess(self) -> slice:
        return slice(self.strategies + 1, self.strategies + 1 + self.days)

    @property
    def column_count(self) -> int:
        return self.strategies + 1 + self.days + (self.strategies if self.turnover else 0)

    @property
    def total_row(self) -> int:
        return self.days

    @property
    def cvar_row(self) -> int:
        return self.days + 1


def primal_program(
    problem: Problem, cost: FloatArray, cvar_limit: float | None, *, scenarios: bool = True
) -> LinearProgram:
    """Build the Rockafellar-Uryasev LP over ``problem`` with the given objective.

    Without ``scenarios`` the program has no day rows and no ``u`` columns (``layout_of`` with
    ``scenarios=False``): the skeleton that :mod:`.tail` adds days to.
    """
    layout = layout_of(problem, scenarios=scenarios)
    count, days = layout.strategies, layout.days
    k = problem.tail_weight
    blocks = [_total_row(layout), _cvar_row(layout, k)]
    if scenarios:
        blocks.insert(0, scenario_rows(problem.returns, layout.alpha, layout.excess.start))
    lower: list[FloatArray] = [
        np.zeros(days),
        np.array([problem.settings.min_total_allocation]),
        np.array([-INFINITY]),
    ]
    upper: list[FloatArray] = [
        np.full(days, INFINITY),
        np.array([problem.settings.max_total_allocation]),
        np.array([INFINITY if cvar_limit is None else cvar_limit]),
    ]
    col_lower = np.concatenate([problem.lower, [-INFINITY], np.zeros(days)])
    col_upper = np.concatenate([problem.upper, [INFINITY], np.full(days, INFINITY)])
    if layout.turnover:
        blocks.append(_turnover_rows(layout))
        current = problem.current
        budget = float(problem.turnover_budget or 0.0)
        lower += [-current, current, np.array([-INFINITY])]
        upper += [np.full(count, INFINITY), np.full(count, INFINITY), np.array([budget])]
        col_lower = np.concatenate([col_lower, np.zeros(count)])
        col_upper = np.concatenate([col_upper, np.full(count, INFINITY)])
    return LinearProgram(
        cost=np.ascontiguousarray(cost, dtype=np.float64),
        col_lower=col_lower,
        col_upper=col_upper,
        rows=_stack(blocks, layout.column_count),
        row_lower=np.concatenate(lower).astype(np.float64),
        row_upper=np.concatenate(upper).astype(np.float64),
    )


def layout_of(problem: Problem, *, scenarios: bool = True) -> Layout:
    return Layout(
        strategies=problem.strategy_count,
        days=problem.observation_count if scenarios else 0,
        turnover=problem.turnover_budget is not None,
    )


def cvar_cost(problem: Problem) -> FloatArray:
    """Return the objective ``a + k 1'u`` (minimise CVaR) over the primal columns."""
    layout = layout_of(problem)
    cost = np.zeros(layout.column_count)
    cost[layout.alpha] = 1.0
    cost[layout.excess] = problem.tail_weight
    return cost


def return_cost(problem: Problem) -> FloatArray:
    """Return the objective ``-mean'w / return_scale`` (maximise the mean daily return).

    Daily means are ~1e-4 while HiGHS judges reduced costs against an absolute 1e-7, so two
    strategies whose means differ by less than that would look tied; dividing by the largest
    ``|mean|`` makes the costs O(1) without changing the optimum.
    """
    cost = np.zeros(layout_of(problem).column_count)
    cost[: problem.strategy_count] = -problem.mean / return_scale(problem)
    return cost


def return_scale(problem: Problem) -> float:
    """Return the factor that turns :func:`return_cost` objective values back into returns."""
    largest = float(np.abs(problem.mean).max())
    return largest if largest > 0 else 1.0


def scenario_rows(returns: FloatArray, alpha: int, first_excess: int) -> SparseRows:
    """Return the rows ``r_t'w + a + u_t >= 0``, one per row of ``returns``.

    ``w`` are the first columns, ``a`` is column ``alpha`` and the ``u_t`` are consecutive
    columns from ``first_excess``.
    """
    days, count = returns.shape
    width = count + 2
    indices = np.empty((days, width), dtype=np.int32)
    indices[:, :count] = np.arange(count, dtype=np.int32)
    indices[:, count] = alpha
    indices[:, count + 1] = first_excess + np.arange(days, dtype=np.int32)
    values = np.empty((days, width))
    values[:, :count] = returns
    values[:, count:] = 1.0
    indptr = np.arange(0, days * width + 1, width, dtype=np.int32)
    return SparseRows(indptr, indices.ravel(), values.ravel(), 0)


def _total_row(layout: Layout) -> SparseRows:
    count = layout.strategies
    return SparseRows(
        np.array([0, count], dtype=np.int32),
        np.arange(count, dtype=np.int32),
        np.ones(count),
        0,
    )


def _cvar_row(layout: Layout, k: float) -> SparseRows:
    columns = np.concatenate([[layout.alpha], np.arange(layout.days) + layout.alpha + 1])
    values = np.concatenate([[1.0], np.full(layout.days, k)])
    return SparseRows(
        np.array([0, len(columns)], dtype=np.int32), columns.astype(np.int32), values, 0
    )


def _turnover_rows(layout: Layout) -> SparseRows:
    count = layout.strategies
    first = layout.column_count - count
    strategy = np.arange(count, dtype=np.int32)
    deviation = first + strategy
    pair_indices = np.stack([deviation, strategy], axis=1).ravel()
    above = np.stack([np.ones(count), -np.ones(count)], axis=1).ravel()
    below = np.ones(2 * count)
    indices = np.concatenate([pair_indices, pair_indices, deviation]).astype(np.int32)
    values = np.concatenate([above, below, np.ones(count)])
    indptr = np.concatenate([np.arange(0, 4 * count + 1, 2), [5 * count]]).astype(np.int32)
    return SparseRows(indptr, indices, values, 0)


def _stack(blocks: list[SparseRows], column_count: int) -> SparseRows:
    offsets = np.cumsum([0] + [len(block.indices) for block in blocks[:-1]])
    indptr = np.concatenate(
        [[0]] + [block.indptr[1:] + offset for block, offset in zip(blocks, offsets, strict=True)]
    ).astype(np.int32)
    return SparseRows(
        indptr,
        np.concatenate([block.indices for block in blocks]).astype(np.int32),
        np.concatenate([block.values for block in blocks]),
        column_count,
    )
