"""A thin, typed layer over one HiGHS model that stays alive between related solves."""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt

from mats.domain.optimizer.errors import OptimizerError, OptimizerErrorCode

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
INFINITY = float(highspy.kHighsInf)


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


@dataclass(frozen=True, eq=False)
class Solution:
    status: str
    objective: float
    x: FloatArray
    row_duals: FloatArray
    col_duals: FloatArray
    iterations: int
    seconds: float


@dataclass(frozen=True, eq=False)
class Hessian:
    """The lower triangle of a symmetric matrix, stored column by column (CSC)."""

    start: IntArray
    index: IntArray
    values: FloatArray


class HighsModel:
    """One HiGHS instance: solve, change bounds or costs, and solve again from the last basis."""

    def __init__(self, program: LinearProgram, hessian: Hessian | None = None) -> None:
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
        if hessian is not None:
            self._check(
                self._highs.passHessian(
                    columns,
                    len(hessian.values),
                    int(highspy.HessianFormat.kTriangular),
                    hessian.start[:-1],
                    hessian.index,
                    hessian.values,
                ),
                "passHessian",
            )

    def set_row_bounds(self, row: int, lower: float, upper: float) -> None:
        self._check(self._highs.changeRowBounds(row, lower, upper), "changeRowBounds")

    def set_costs(self, cost: FloatArray) -> None:
        columns = np.arange(len(cost), dtype=np.int32)
        self._check(self._highs.changeColsCost(len(cost), columns, cost), "changeColsCost")

    def solve(self) -> Solution:
        started = time.perf_counter()
        self._highs.run()
        seconds = time.perf_counter() - started
        status = self._highs.getModelStatus()
        info = self._highs.getInfo()
        iterations = int(info.simplex_iteration_count) + int(info.qp_iteration_count)
        mapped = _STATUSES.get(status)
        if mapped is None:
            text = self._highs.modelStatusToString(status)
            raise OptimizerError(
                OptimizerErrorCode.SOLVER_FAILED, f"HiGHS stopped without an answer: {text}"
            )
        solution = self._highs.getSolution()
        return Solution(
            status=mapped,
            objective=float(info.objective_function_value),
            x=np.asarray(solution.col_value, dtype=np.float64),
            row_duals=np.asarray(solution.row_dual, dtype=np.float64),
            col_duals=np.asarray(solution.col_dual, dtype=np.float64),
            iterations=iterations,
            seconds=seconds,
        )

    @staticmethod
    def _check(status: highspy.HighsStatus, action: str) -> None:
        if status == highspy.HighsStatus.kError:
            raise OptimizerError(OptimizerErrorCode.SOLVER_FAILED, f"HiGHS rejected {action}")


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
