"""Why an optimisation cannot produce an allocation, as a code the caller can act on."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from mats.errors import PermanentError


class OptimizerErrorCode(StrEnum):
    NO_STRATEGIES = "NO_STRATEGIES"
    ONE_STRATEGY = "ONE_STRATEGY"
    DUPLICATE_STRATEGY = "DUPLICATE_STRATEGY"
    SHAPE_MISMATCH = "SHAPE_MISMATCH"
    NON_FINITE_RETURNS = "NON_FINITE_RETURNS"
    RETURN_BELOW_TOTAL_LOSS = "RETURN_BELOW_TOTAL_LOSS"
    TOO_FEW_OBSERVATIONS = "TOO_FEW_OBSERVATIONS"
    NO_POSITIVE_MEAN = "NO_POSITIVE_MEAN"
    SINGULAR_COVARIANCE = "SINGULAR_COVARIANCE"
    CVAR_LIMIT_TOO_LOW = "CVAR_LIMIT_TOO_LOW"
    INFEASIBLE_CONSTRAINTS = "INFEASIBLE_CONSTRAINTS"
    UNKNOWN_STRATEGY = "UNKNOWN_STRATEGY"
    SOLVER_FAILED = "SOLVER_FAILED"


class OptimizerError(PermanentError):
    """The inputs admit no allocation; ``code`` says why and ``details`` carries the numbers."""

    def __init__(
        self,
        code: OptimizerErrorCode,
        message: str,
        details: Mapping[str, float | str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details: Mapping[str, float | str] = dict(details or {})
