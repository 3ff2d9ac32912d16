"""A thin, typed layer over one HiGHS LP that stays alive between related solves."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import NamedTuple

import highspy
import numpy as np
import numpy.typing as npt

from mats.domain.optimizer.errors import OptimizerError, OptimizerErrorCode

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
INFINITY = float(highspy.kHighsInf)
# HiGHS' default 1e-7 lets a CVaR row end 1e-8 above its limit (1e-6 of a 1% CVaR); a solve that
# holds a risk limit sets this instead, the tightest HiGHS accepts.
LIMIT_TOLERANCE = 1e-10


class SolveStatus:
    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"


@dataclass(frozen=True)
class SparseRows:
    """A row-wise (CSR) constraint matrix."""

    indptr: IntArray
    indices: IntArray
    values: FloatArray
    column_count: int

    @property
    def row_count(self) -> int:
        return len(self.indptr) - 1


@dataclass(frozen=True, eq=False)
class LinearProgram:
    """``min cost'x`` s.t. ``row_lower <= A x <= row_upper`` and ``col_lower <= x <= col_upper``."""

    cost: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    rows: SparseRows
    row_lower: FloatArray
    row_upper: FloatArray


class Solution(NamedTuple):
    """One run's outcome: the primal values, with the duals copied out of HiGHS only when read.

    A named tuple, built after every run: half the cost of a frozen dataclass.
    """

    status: str
    objective: float
    iterations: int
    seconds: float
    x: FloatArray
    values: highspy.HighsSolution

    @property
    def row_duals(self) -> FloatArray:
        return _array(self.values.row_dual)

    @property
    def col_duals(self) -> FloatArray:
        return _array(self.values.col_dual)


class HighsModel:
    """One HiGHS instance: solve, change bounds or costs, and solve again from the last basis."""

    def __init__(self, program: LinearProgram) -> None:
        # highspy's Python wrapper leaves __init__ unannotated; the object itself is typed.
        self._highs = highspy.Highs()  # type: ignore[no-untyped-call]
        for option, value in _OPTIONS.items():
            self._highs.setOptionValue(option, value)
        columns, rows = len(program.cost), program.rows.row_count
        # The array overload copies buffers; a HighsLp built attribute by attribute is 3x slower.
        self._check(
            self._highs.passModel(
                columns,
                rows,
                len(program.rows.values),
                int(highspy.MatrixFormat.kRowwise),
                int(highspy.ObjSense.kMinimize),
                0.0,
                program.cost,
                program.col_lower,
                program.col_upper,
                program.row_lower,
                program.row_upper,
                program.rows.indptr[:-1],
                program.rows.indices,
                program.rows.values,
                np.zeros(columns, dtype=np.int32),
            ),
            "passModel",
        )

    def set_option(self, name: str, value: bool | float | str) -> None:
        self._check(self._highs.setOptionValue(name, value), f"option {name}")

    def set_row_bounds(self, row: int, lower: float, upper: float) -> None:
        self._check(self._highs.changeRowBounds(row, lower, upper), "changeRowBounds")

    def set_costs(self, cost: FloatArray) -> None:
        columns = np.arange(len(cost), dtype=np.int32)
        self._check(self._highs.changeColsCost(len(cost), columns, cost), "changeColsCost")

    def add_columns(
        self, cost: FloatArray, lower: FloatArray, upper: FloatArray, entries: SparseRows
    ) -> None:
        """Append columns; ``entries`` holds them column by column (its rows are the columns).

        A new column is nonbasic at its bound, so the basis stays valid for a warm restart.
        """
        self._check(
            self._highs.addCols(
                len(cost),
                cost,
                lower,
                upper,
                len(entries.values),
                entries.indptr[:-1],
                entries.indices,
                entries.values,
            ),
            "addCols",
        )

    def add_rows(self, lower: FloatArray, upper: FloatArray, rows: SparseRows) -> None:
        """Append rows; each new row's slack enters the basis, which stays valid."""
        self._check(
            self._highs.addRows(
                len(lower),
                lower,
                upper,
                len(rows.values),
                rows.indptr[:-1],
                rows.indices,
                rows.values,
            ),
            "addRows",
        )

    def delete_rows(self, rows: IntArray) -> None:
        """Delete rows (ascending indices); later rows move up. A basic slack keeps the basis."""
        self._check(self._highs.deleteRows(len(rows), rows), "deleteRows")

    def delete_columns(self, columns: IntArray) -> None:
        """Delete columns (ascending indices); later columns move left. Nonbasic keeps the basis."""
        self._check(self._highs.deleteCols(len(columns), columns), "deleteCols")

    def solve(self) -> Solution:
        started = time.perf_counter()
        self._highs.run()
        seconds = time.perf_counter() - started
        status = self._highs.getModelStatus()
        # One value instead of getInfo(), which copies every statistic HiGHS keeps.
        iterations = int(self._highs.getInfoValue("simplex_iteration_count")[1])
        mapped = _STATUSES.get(status)
        if mapped is None:
            text = self._highs.modelStatusToString(status)
            raise OptimizerError(
                OptimizerErrorCode.SOLVER_FAILED, f"HiGHS stopped without an answer: {text}"
            )
        values = self._highs.getSolution()
        return Solution(
            status=mapped,
            objective=self._highs.getObjectiveValue(),
            iterations=iterations,
            seconds=seconds,
            x=_array(values.col_value),
            values=values,
        )

    @staticmethod
    def _check(status: highspy.HighsStatus, action: str) -> None:
        if status == highspy.HighsStatus.kError:
            raise OptimizerError(OptimizerErrorCode.SOLVER_FAILED, f"HiGHS rejected {action}")


def _array(values: list[float]) -> FloatArray:
    """Copy a list HiGHS returned into an array: fromiter is 2-3x faster than np.array here."""
    return np.fromiter(values, dtype=np.float64, count=len(values))


# Measured on the research data (N=200, T=2520): presolve and scaling each cost more than they
# save on these well-scaled, dense LPs (cold max-return 0.53 s -> 0.25 s with both off).
_OPTIONS: dict[str, bool | int | str] = {
    "output_flag": False,
    "presolve": "off",
    "simplex_scale_strategy": 0,
}

_STATUSES = {
    highspy.HighsModelStatus.kOptimal: SolveStatus.OPTIMAL,
    highspy.HighsModelStatus.kInfeasible: SolveStatus.INFEASIBLE,
    highspy.HighsModelStatus.kUnbounded: SolveStatus.UNBOUNDED,
    highspy.HighsModelStatus.kUnboundedOrInfeasible: SolveStatus.INFEASIBLE,
}
