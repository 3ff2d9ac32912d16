"""A thin, typed layer over Clarabel, the interior-point solver of the max-Sharpe QP.

HiGHS solves every LP here exactly and fast, but its active-set QP solver stalls on degenerate
risk rows: it stopped with "Solve error" or did not stop, and a CI run that drove it there ran
for most of an hour and then died of a floating point exception. An interior-point method has no
basis to cycle on; Clarabel (Apache-2.0, Rust) certifies infeasibility and honours its iteration
and time limits, so a solve always ends with an answer or a named failure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import clarabel
import numpy as np
from scipy import sparse

from mats.domain.optimizer.errors import OptimizerError, OptimizerErrorCode
from mats.domain.optimizer.highs import FloatArray, SolveStatus

# Relative feasibility and optimality gap; Clarabel's default 1e-8 leaves a CVaR limit's last digits
# to rounding, and 1e-9 still converges in 10-20 iterations on the fund's data.
TOLERANCE = 1e-9
# Generous bounds that only a solver gone astray reaches (a solve takes 10-20 iterations).
MAX_ITERATIONS = 200
TIME_LIMIT_SECONDS = 600.0


@dataclass(frozen=True, eq=False)
class QuadraticProgram:
    """``min x'Px/2`` s.t. ``A x = b`` on the first ``equality_count`` rows, ``A x <= b`` after.

    ``hessian`` holds the upper triangle of P; both matrices are scipy CSC.
    """

    hessian: sparse.csc_matrix
    constraints: sparse.csc_matrix
    rhs: FloatArray
    equality_count: int


@dataclass(frozen=True, eq=False)
class QpSolution:
    """``duals`` are one per row of A, with ``P x + A'duals = 0`` and ``duals >= 0`` on ``<=``."""

    status: str
    x: FloatArray
    duals: FloatArray
    objective: float
    iterations: int
    seconds: float


def solve_qp(program: QuadraticProgram) -> QpSolution:
    """Solve ``program``; a solve that ends without an answer raises SOLVER_FAILED."""
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_feas = TOLERANCE
    settings.tol_gap_abs = TOLERANCE
    settings.tol_gap_rel = TOLERANCE
    settings.max_iter = MAX_ITERATIONS
    settings.time_limit = TIME_LIMIT_SECONDS
    settings.max_threads = 1
    equalities = program.equality_count
    inequalities = program.constraints.shape[0] - equalities
    started = time.perf_counter()
    solver = clarabel.DefaultSolver(
        program.hessian,
        np.zeros(program.hessian.shape[0]),
        program.constraints,
        program.rhs,
        [clarabel.ZeroConeT(equalities), clarabel.NonnegativeConeT(inequalities)],
        settings,
    )
    answer = solver.solve()
    seconds = time.perf_counter() - started
    status = _STATUSES.get(str(answer.status))
    if status is None:
        raise OptimizerError(
            OptimizerErrorCode.SOLVER_FAILED,
            f"Clarabel stopped without an answer: {answer.status} after {answer.iterations} "
            "iterations",
        )
    return QpSolution(
        status=status,
        x=np.asarray(answer.x, dtype=np.float64),
        duals=np.asarray(answer.z, dtype=np.float64),
        objective=float(answer.obj_val),
        iterations=int(answer.iterations),
        seconds=seconds,
    )


# "Almost" answers meet only Clarabel's reduced tolerances (about 1e-5): not enough for a limit.
_STATUSES = {
    "Solved": SolveStatus.OPTIMAL,
    "PrimalInfeasible": SolveStatus.INFEASIBLE,
    "DualInfeasible": SolveStatus.UNBOUNDED,
}
